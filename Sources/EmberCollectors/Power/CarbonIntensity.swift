#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// The origin of the grid carbon intensity.
enum CarbonIntensitySetting: Equatable {
    case none
    /// A fixed value in g/kWh.
    case fixed(Double)
    /// A file with one number in g/kWh, which another program rewrites.
    case file(String)
}

/// The current grid carbon intensity in g/kWh.
///
/// A file is read at the first run and again whenever its modification time, size or inode
/// changes (an atomic rename gives a new inode). A file that is missing, unreadable or does not
/// contain one non-negative number is recorded as an error once, until the error changes or a read
/// succeeds. The last good value stays in use. Before the first good value there is none, so no
/// carbon is counted.
struct CarbonIntensitySource {
    private struct FileStamp: Equatable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
        var inode: UInt64
    }

    private let setting: CarbonIntensitySetting
    private let fileSystem: any FileSystem
    private let logger: Logger
    private(set) var gramsPerKilowattHour: Double?
    /// The stamp of the file content last read, or nil for "not read yet or missing".
    private var lastStamp: FileStamp?
    private var lastFailure: String?

    init(setting: CarbonIntensitySetting, fileSystem: any FileSystem, logger: Logger) {
        self.setting = setting
        self.fileSystem = fileSystem
        self.logger = logger
        if case .fixed(let value) = setting {
            gramsPerKilowattHour = value
        }
    }

    /// Re-reads the file when it changed and returns the intensity to use for this run.
    mutating func refresh(sink: inout MetricSink) -> Double? {
        guard case .file(let path) = setting else { return gramsPerKilowattHour }

        guard let stamp = CarbonIntensitySource.stamp(path) else {
            fail(path, FileError(operation: "stat", path: path, code: errno), sink: &sink)
            lastStamp = nil
            return gramsPerKilowattHour
        }
        guard stamp != lastStamp else { return gramsPerKilowattHour }
        lastStamp = stamp

        do {
            let text = Text.attributeString(try fileSystem.readAttribute(path))
            let value = try CarbonIntensitySource.parse(text, path: path)
            gramsPerKilowattHour = value
            lastFailure = nil
        } catch {
            fail(path, error, sink: &sink)
        }
        return gramsPerKilowattHour
    }

    /// Parses one decimal number of g/kWh, surrounding whitespace allowed.
    static func parse(_ text: String, path: String) throws -> Double {
        let trimmed = SysfsClass.trimSpace(text)
        guard let value = Double(trimmed), value.isFinite, value >= 0 else {
            throw ParseError(path: path, expected: "one non-negative number of g/kWh", content: text)
        }
        return value
    }

    /// Records and logs a failure unless it repeats the previous one, which a successful read clears.
    private mutating func fail(_ path: String, _ error: any Error, sink: inout MetricSink) {
        let text = "\(error)"
        guard text != lastFailure else { return }
        lastFailure = text
        sink.record(error)
        let action = gramsPerKilowattHour.map { "keeping \($0) g/kWh" } ?? "no carbon counted until it is valid"
        logger.warn("failed to use the carbon intensity file", ("path", path), ("error", text), ("action", action))
    }

    private static func stamp(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(
            seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec), size: Int64(info.st_size),
            inode: UInt64(info.st_ino))
    }
}
