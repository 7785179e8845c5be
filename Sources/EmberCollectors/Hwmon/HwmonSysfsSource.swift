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
    private var chipStates: HwmonChipStates<HwmonChipPlan>
    private var labels = HwmonChipLabelMemo()
    let classPath: String

    init(reader: SourceReader, logger: Logger) {
        self.reader = reader
        absence = AbsenceLog(logger: logger)
        classPath = reader.roots.sys("class/hwmon")
        chipStates = HwmonChipStates(classPath: classPath)
    }

    func readChips(into sink: inout MetricSink) throws -> [HwmonChipReading] {
        try readChips(into: &sink, skipping: [:])
    }

    /// Reads every chip but not the files named in `skipped` for its directory (`hwmonN`), whose
    /// values the caller has from elsewhere.
    func readChips(into sink: inout MetricSink, skipping skipped: [String: Set<String>]) throws -> [HwmonChipReading] {
        let entries = try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence)
        var chips: [HwmonChipReading] = []
        chips.reserveCapacity(entries.count)
        for state in chipStates.states(for: entries) {
            guard reader.fileSystem.fileKind(state.directory) == .directory else {
                // A directory that went away may come back as another chip under the same hwmonN.
                state.knownName = nil
                continue
            }
            let skippedFiles = skipped.isEmpty ? [] : skipped[state.directoryName] ?? []
            if let chip = readChip(state, skipping: skippedFiles, sink: &sink) {
                chips.append(chip)
            }
        }
        return chips
    }

    private func readChip(
        _ state: HwmonChipState<HwmonChipPlan>, skipping skipped: Set<String>, sink: inout MetricSink
    ) -> HwmonChipReading? {
        let resolvedDevice = try? reader.fileSystem.resolvePath(state.devicePath)
        var name = readName(state.namePath, sink: &sink)
        if name == .failed {
            // The failure is recorded. The last name read keeps the chip's label and series as
            // they were, where falling back to `hwmonN` for one sample would start new series.
            if let known = state.knownName {
                name = .read(known)
            } else if resolvedDevice.flatMap(HwmonChipLabel.fromDevicePath) == nil {
                return nil
            }
        }
        if let text = name.text {
            state.knownName = text
        }

        let label = state.label(
            resolvedDevice: resolvedDevice, nameFile: name.text,
            resolvedDirectory: try? reader.fileSystem.resolvePath(state.directory), memo: &labels)
        guard let label else {
            sink.record(ParseError(
                path: state.directory, expected: "a device link, name file or hwmonN name", content: ""))
            return nil
        }

        var chip = HwmonChipReading(directoryName: state.directoryName, label: label, name: name.text.map(state.cleaned))
        chip.sensors = readSensors(state, skipping: skipped, sink: &sink)
        return chip
    }

    /// Reads the `name` file, recording a failure in `sink`.
    private func readName(_ path: String, sink: inout MetricSink) -> ChipNameFile {
        do {
            // A chip's name is fixed by its driver.
            return try reader.optionalSettledString(path).map(ChipNameFile.read) ?? .absent
        } catch {
            sink.record(error)
            return .failed
        }
    }

    /// Reads the sensor files of `hwmonN/` and `hwmonN/device/` through the chip's plan. A failed
    /// listing is recorded, and the files of the other directory are still read.
    ///
    /// Files are read sensor by sensor, so an error of a `device/` file may be recorded before
    /// one of a `hwmonN/` file.
    private func readSensors(
        _ state: HwmonChipState<HwmonChipPlan>, skipping skipped: Set<String>, sink: inout MetricSink
    ) -> HwmonNameMap<HwmonSensorReading> {
        let own = sink.attempt({ try reader.fileSystem.listDirectory(state.directory) }) ?? []
        var inDevice: [String] = []
        if reader.fileSystem.fileKind(state.devicePath) == .directory {
            inDevice = sink.attempt({ try reader.fileSystem.listDirectory(state.devicePath) }) ?? []
        }
        let plan = state.plan(own: own, inDevice: inDevice)

        // The plan is in sensor and property order, so the maps are built by appending.
        var sensors = HwmonNameMap<HwmonSensorReading>(minimumCapacity: plan.sensors.count)
        for sensor in plan.sensors {
            var values = HwmonNameMap<HwmonAttributeValue>(minimumCapacity: sensor.propertyCount)
            for attribute in sensor.files {
                if !skipped.isEmpty, skipped.contains(attribute.fileName) {
                    continue
                }
                guard let text = readValue(attribute.path, settled: attribute.settled, sink: &sink) else { continue }
                let value = HwmonAttributeValue(text: text, path: attribute.path, attribute: attribute)
                // Comparing with the last key copied the entry, about 350 instructions (callgrind).
                if attribute.followsSameProperty {
                    values.appendOrReplaceLast(attribute.property, value)
                } else {
                    values.append(attribute.property, value)
                }
            }
            if !values.isEmpty {
                sensors.append(sensor.name, HwmonSensorReading(type: sensor.type, values: values))
            }
        }
        return sensors
    }

    /// Reads one attribute as node_exporter does: one bounded read, newlines trimmed from both
    /// ends but other whitespace kept, because labels such as applesmc's `Left side  ` keep it.
    private func readValue(_ path: String, settled: Bool, sink: inout MetricSink) -> String? {
        do {
            var value = ""
            // The bytes are decoded in the reader's buffer, which spares an array per read.
            try reader.fileSystem.withAttributeBytes(path, settled: settled) { value = Self.decodeValue($0) }
            return value
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

extension SysfsHwmonSource {
    /// Returns the text of an attribute with newlines trimmed from both ends.
    static func decodeValue(_ raw: UnsafeRawBufferPointer) -> String {
        let bytes = raw.bindMemory(to: UInt8.self)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x0A { start += 1 }
        while end > start, bytes[end - 1] == 0x0A { end -= 1 }

        // ASCII is valid UTF-8. Decoding it took about 150 instructions per value where
        // `String(validating:)` took 900 (callgrind). Other bytes are validated and repaired.
        let content = UnsafeBufferPointer(rebasing: bytes[start..<end])
        return content.allSatisfy { $0 < 0x80 }
            ? String(decoding: content, as: UTF8.self) : Text.decodeReplacingInvalid(content)
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
    var sensors = HwmonNameMap<HwmonSensorReading>()
}

struct HwmonSensorReading {
    let type: String
    /// Values by property; the key "" contains a bare value file such as `pwm1`.
    var values: HwmonNameMap<HwmonAttributeValue>

    init(type: String, values: HwmonNameMap<HwmonAttributeValue> = [:]) {
        self.type = type
        self.values = values
    }
}

struct HwmonAttributeValue {
    let text: String
    let path: String
    /// The value in the sysfs file's unit when it came from libsensors, which has already parsed it.
    var number: Double?
    /// The planned file the sysfs reader read the value from; nil for a value from libsensors.
    var attribute: HwmonPlannedAttribute?
}
