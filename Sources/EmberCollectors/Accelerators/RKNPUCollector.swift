import EmberCore

/// The load of each NPU core from the Rockchip vendor driver's `rknpu/load` file.
///
/// The driver prints `NPU load:`, then ` Core%d: %2.d%%,` per
/// core on SoCs with one interrupt per core, such as the RK3588's three, or a single ` %2.d%%` on
/// SoCs with one interrupt. The load is busy time over the driver's own measuring interval.
public struct RKNPULoad: Equatable, Sendable {
    /// One core's load.
    public struct Core: Equatable, Sendable {
        /// The core number the driver prints (`Core0` is 0), or 0 in the single-interrupt format.
        public let index: Int
        /// Busy time over the driver's measuring interval, 0–1.
        public let ratio: Double

        public init(index: Int, ratio: Double) {
            self.index = index
            self.ratio = ratio
        }
    }

    public let cores: [Core]

    public init(cores: [Core]) {
        self.cores = cores
    }

    /// Parses `NPU load:  Core0:  0%, Core1: 100%, Core2:  0%,` or `NPU load:  0%`.
    public static func parse(_ text: String, path: String) throws -> RKNPULoad {
        let content = SysfsClass.trimSpace(text)
        let prefix = "NPU load:"
        let failure = ParseError(path: path, expected: "\"NPU load: Core<N>: <percent>%, …\"", content: text)
        guard content.hasPrefix(prefix) else { throw failure }

        let entries = content.dropFirst(prefix.count).split(separator: ",").map { SysfsClass.trimSpace(String($0)) }
        var cores: [Core] = []
        for entry in entries where !entry.isEmpty {
            guard let core = parseCore(Substring(entry), position: cores.count),
                  !cores.contains(where: { $0.index == core.index })
            else { throw failure }
            cores.append(core)
        }
        guard !cores.isEmpty else { throw failure }
        return RKNPULoad(cores: cores)
    }

    /// Parses `Core1: 42%`, or a bare `42%` as core `position`. Percentages above 100 are rejected.
    static func parseCore(_ entry: Substring, position: Int) -> Core? {
        var index = position
        var percentText = entry
        if entry.hasPrefix("Core") {
            guard let colon = entry.firstIndex(of: ":"),
                  let number = Int(entry[entry.index(entry.startIndex, offsetBy: 4)..<colon])
            else { return nil }
            index = number
            percentText = entry[entry.index(after: colon)...].drop { $0 == " " }
        }

        guard percentText.hasSuffix("%"), let percent = UInt64(percentText.dropLast()), percent <= 100 else {
            return nil
        }
        return Core(index: index, ratio: Double(percent) / 100)
    }
}

/// Exports the vendor RKNPU driver's per-core load as `ember_npu_load_ratio{core}`.
///
/// The driver offers the file in debugfs (`rknpu/load`, root only) when built with
/// CONFIG_ROCKCHIP_RKNPU_DEBUG_FS and in procfs (`rknpu/load`) with CONFIG_ROCKCHIP_RKNPU_PROC_FS.
/// Mainline kernels use the `rocket` driver, which has neither. A debugfs file this user may not
/// read makes the source unavailable unless the procfs file can be read.
public final class RKNPUCollector: Collector {
    static let load = MetricDescriptor(
        "ember_npu_load_ratio", "Busy time of the NPU core over the RKNPU driver's measuring interval, 0-1.",
        labels: ["core"])

    private let reader: SourceReader
    private var absence: AbsenceLog

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let problemsBefore = sink.errors.count + sink.unavailableSources.count
        guard let load = RKNPULoad.read(reader: reader, into: &sink) else {
            if sink.errors.count + sink.unavailableSources.count == problemsBefore {
                absence.noteAbsent(reader.roots.debug("rknpu/load"))
            }
            return
        }

        for core in load.cores {
            sink.add(Self.load, core.ratio, String(core.index))
        }
    }
}

extension RKNPULoad {
    /// Reads the load from debugfs, else from procfs.
    ///
    /// Returns nil without recording anything when neither file exists (a mainline kernel, or a
    /// vendor kernel without either option). A debugfs file this user may not read is recorded as
    /// unavailable only when procfs has no file either. Any other failure is recorded in `sink`.
    public static func read(reader: SourceReader, into sink: inout MetricSink) -> RKNPULoad? {
        let debugPath = reader.roots.debug("rknpu/load")
        do {
            return try parse(reader.string(debugPath), path: debugPath)
        } catch let debugError as FileError where debugError.isNotFound || debugError.isPermissionDenied {
            return readProcfs(reader: reader, debugError: debugError, into: &sink)
        } catch {
            sink.record(error)
            return nil
        }
    }

    private static func readProcfs(
        reader: SourceReader, debugError: FileError, into sink: inout MetricSink
    ) -> RKNPULoad? {
        let path = reader.roots.proc("rknpu/load")
        do {
            return try parse(reader.string(path), path: path)
        } catch let error as FileError where error.isNotFound {
            if debugError.isPermissionDenied {
                sink.record(debugError)
            }
            return nil
        } catch {
            sink.record(error)
            return nil
        }
    }
}
