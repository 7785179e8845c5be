#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// A reader of hwmon chips into typed readings that ``HwmonCollector`` maps to families.
protocol HwmonSource: AnyObject {
    /// Reads every chip once; per-file failures go to `sink`, and a thrown error fails the run.
    func readChips(into sink: inout MetricSink) throws -> [HwmonChipReading]
}

/// Reads `class/hwmon` straight from sysfs, as node_exporter does.
///
/// Sensor files are read from `hwmonN/` and from `hwmonN/device/`, where older drivers such as
/// applesmc keep them. A file in `device/` wins over one of the same name in `hwmonN/`.
final class SysfsHwmonSource: HwmonSource {
    private let reader: SourceReader
    private var absence: AbsenceLog
    /// The last `name` read from each hwmon directory, by its full path. A chip's name does not
    /// change while its hwmon device exists, so a failed read of it is bridged with this one.
    private var knownNames: [String: String] = [:]
    private var plans = HwmonDirectoryPlans()
    private var labels = HwmonChipLabelMemo()

    init(reader: SourceReader, logger: Logger) {
        self.reader = reader
        absence = AbsenceLog(logger: logger)
    }

    var classPath: String { reader.roots.sys("class/hwmon") }

    func readChips(into sink: inout MetricSink) throws -> [HwmonChipReading] {
        try readChips(into: &sink, skipping: [:])
    }

    /// Reads every chip but not the files named in `skipped` for its directory (`hwmonN`), whose
    /// values the caller has from elsewhere.
    func readChips(into sink: inout MetricSink, skipping skipped: [String: Set<String>]) throws -> [HwmonChipReading] {
        var chips: [HwmonChipReading] = []
        var present: Set<String> = []
        for entry in try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence) {
            let directory = classPath + "/" + entry
            guard reader.fileSystem.fileKind(directory) == .directory else { continue }
            present.insert(directory)
            if let chip = readChip(directory, directoryName: entry, skipping: skipped[entry] ?? [], sink: &sink) {
                chips.append(chip)
            }
        }
        // A directory that went away may come back as another chip under the same hwmonN.
        knownNames = knownNames.filter { present.contains($0.key) }
        plans.removeUnused()
        return chips
    }

    private func readChip(
        _ directory: String, directoryName: String, skipping skipped: Set<String>, sink: inout MetricSink
    ) -> HwmonChipReading? {
        let devicePath = directory + "/device"
        let resolvedDevice = try? reader.fileSystem.resolvePath(devicePath)
        var name = readName(directory + "/name", sink: &sink)
        if name == .failed {
            // The failure is recorded. The last name read keeps the chip's label and series as
            // they were, where falling back to `hwmonN` for one sample would start new series.
            if let known = knownNames[directory] {
                name = .read(known)
            } else if resolvedDevice.flatMap(HwmonChipLabel.fromDevicePath) == nil {
                return nil
            }
        }
        if let text = name.text {
            knownNames[directory] = text
        }

        let label = labels.label(
            resolvedDevice: resolvedDevice, nameFile: name.text,
            resolvedDirectory: try? reader.fileSystem.resolvePath(directory))
        guard let label else {
            sink.record(ParseError(path: directory, expected: "a device link, name file or hwmonN name", content: ""))
            return nil
        }

        var chip = HwmonChipReading(directoryName: directoryName, label: label, name: name.text.map(cleanHwmonName))
        readSensors(in: directory, into: &chip, skipping: skipped, sink: &sink)
        if reader.fileSystem.fileKind(devicePath) == .directory {
            readSensors(in: devicePath, into: &chip, skipping: skipped, sink: &sink)
        }
        return chip
    }

    /// Reads the `name` file, recording a failure in `sink`.
    private func readName(_ path: String, sink: inout MetricSink) -> ChipNameFile {
        do {
            return try reader.optionalString(path).map(ChipNameFile.read) ?? .absent
        } catch {
            sink.record(error)
            return .failed
        }
    }

    private func readSensors(
        in directory: String, into chip: inout HwmonChipReading, skipping skipped: Set<String>,
        sink: inout MetricSink
    ) {
        guard let listing = sink.attempt({ try reader.fileSystem.listDirectory(directory) }) else { return }

        for attribute in plans.attributes(in: directory, listing: listing) {
            if !skipped.isEmpty, skipped.contains(attribute.fileName) {
                continue
            }
            guard let text = readValue(attribute.path, sink: &sink) else { continue }
            chip.sensors[
                attribute.sensor, default: HwmonSensorReading(type: attribute.type, capacity: attribute.sensorFileCount)
            ].values[attribute.property] = HwmonAttributeValue(text: text, path: attribute.path)
        }
    }

    /// Reads one attribute as node_exporter does: one bounded read, newlines trimmed from both
    /// ends but other whitespace kept, because labels such as applesmc's `Left side  ` keep it.
    private func readValue(_ path: String, sink: inout MetricSink) -> String? {
        do {
            let bytes = try reader.fileSystem.readAttribute(path)
            var start = bytes.startIndex
            var end = bytes.endIndex
            while start < end, bytes[start] == 0x0A { start += 1 }
            while end > start, bytes[end - 1] == 0x0A { end -= 1 }
            // ASCII is valid UTF-8. Decoding it took about 150 instructions per value where
            // `String(validating:)` took 900 (callgrind). Other bytes are validated and repaired.
            let ascii = bytes.withUnsafeBufferPointer { buffer -> String? in
                let content = UnsafeBufferPointer(rebasing: buffer[start..<end])
                return content.allSatisfy { $0 < 0x80 } ? String(decoding: content, as: UTF8.self) : nil
            }
            return ascii ?? Text.decodeReplacingInvalid(bytes[start..<end])
        } catch where error.code == EISDIR {
            // A subdirectory whose name looks like an attribute, such as `device/power/`.
            return nil
        } catch where error.code == EIO && reader.fileSystem.isWriteOnly(path) {
            // A write-only attribute such as `temp1_reset_history`: not a value, not a fault.
            return nil
        } catch {
            sink.record(error)
            return nil
        }
    }
}

/// The outcome of reading a chip's `name` file.
enum ChipNameFile: Equatable {
    case read(String)
    case absent
    /// The file exists but the read failed; the error is recorded.
    case failed

    var text: String? {
        if case .read(let text) = self { text } else { nil }
    }
}

/// The readings of one hwmon directory in one run.
struct HwmonChipReading {
    let directoryName: String
    /// The chip label before collisions with other chips are resolved.
    let label: String
    /// The cleaned content of the `name` file, exported as `node_hwmon_chip_names`.
    let name: String?
    /// Readings by sensor, keyed `temp1`, `fan2`.
    var sensors: [String: HwmonSensorReading] = [:]
}

struct HwmonSensorReading {
    let type: String
    /// Values by property; the key "" contains a bare value file such as `pwm1`.
    var values: [String: HwmonAttributeValue]

    init(type: String, values: [String: HwmonAttributeValue] = [:]) {
        self.type = type
        self.values = values
    }

    /// Creates a reading with room for `capacity` values, so that it does not grow value by value.
    init(type: String, capacity: Int) {
        self.type = type
        values = Dictionary(minimumCapacity: capacity)
    }
}

struct HwmonAttributeValue {
    let text: String
    let path: String
    /// The value in the sysfs file's unit when it came from libsensors, which has already parsed it.
    var number: Double?
}
