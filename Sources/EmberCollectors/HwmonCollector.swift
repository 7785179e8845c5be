#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// Exports every chip under `class/hwmon` in node_exporter 1.5's `node_hwmon_*` families, read
/// straight from sysfs without libsensors, so the `sensors3.conf` of the machine does not apply.
///
/// Sensor files are read from `hwmonN/` and from `hwmonN/device/`, where older drivers such as
/// applesmc keep them. A file in `device/` wins over one of the same name in `hwmonN/`.
public final class HwmonCollector: Collector {
    private let reader: SourceReader
    private var absence: AbsenceLog
    private var descriptors = DescriptorCache()

    static let chipNames = MetricDescriptor(
        "node_hwmon_chip_names", "Human-readable name of a hwmon chip, from its `name` file; value 1.",
        labels: ["chip", "chip_name"])
    static let sensorLabel = MetricDescriptor(
        "node_hwmon_sensor_label", "Label the driver gives a sensor, from its `*_label` file; value 1.",
        labels: ["chip", "sensor", "label"])

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let classPath = reader.roots.sys("class/hwmon")
        var chips: [HwmonChipReading] = []
        for entry in try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence) {
            let directory = classPath + "/" + entry
            guard reader.fileSystem.fileKind(directory) == .directory else { continue }
            if let chip = readChip(directory, directoryName: entry, sink: &sink) {
                chips.append(chip)
            }
        }

        let labels = HwmonChipLabel.makeUnique(chips.map { ($0.label, $0.directoryName) })
        for (chip, label) in zip(chips, labels) {
            emit(chip, chipLabel: label, into: &sink)
        }
    }

    // MARK: Reading

    private func readChip(_ directory: String, directoryName: String, sink: inout MetricSink) -> HwmonChipReading? {
        let name = readName(directory + "/name", sink: &sink)
        let devicePath = directory + "/device"
        let label = HwmonChipLabel.derive(
            resolvedDevice: try? reader.fileSystem.resolvePath(devicePath), nameFile: name,
            resolvedDirectory: try? reader.fileSystem.resolvePath(directory))
        guard let label else {
            sink.record(ParseError(path: directory, expected: "a device link, name file or hwmonN name", content: ""))
            return nil
        }

        var chip = HwmonChipReading(directoryName: directoryName, label: label, name: name.map(cleanHwmonName))
        readSensors(in: directory, into: &chip, sink: &sink)
        if reader.fileSystem.fileKind(devicePath) == .directory {
            readSensors(in: devicePath, into: &chip, sink: &sink)
        }
        return chip
    }

    /// Reads the `name` file; nil when it is absent or failed (the failure is recorded).
    private func readName(_ path: String, sink: inout MetricSink) -> String? {
        do {
            return try reader.optionalString(path)
        } catch {
            sink.record(error)
            return nil
        }
    }

    private func readSensors(in directory: String, into chip: inout HwmonChipReading, sink: inout MetricSink) {
        guard let fileNames = sink.attempt({ try reader.entries(directory) }) else { return }

        for fileName in fileNames {
            guard let attribute = HwmonAttributeName(fileName),
                  HwmonAttributeName.sensorTypes.contains(attribute.type)
            else { continue }

            let path = directory + "/" + fileName
            guard let text = readValue(path, sink: &sink) else { continue }
            chip.sensors[attribute.sensor, default: HwmonSensorReading(type: attribute.type)]
                .values[attribute.property] = HwmonAttributeValue(text: text, path: path)
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
            return Text.decodeReplacingInvalid(bytes[start..<end])
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

    // MARK: Emitting

    private func emit(_ chip: HwmonChipReading, chipLabel: String, into sink: inout MetricSink) {
        if let name = chip.name, !name.isEmpty {
            sink.add(Self.chipNames, 1, chipLabel, name)
        }
        for sensor in chip.sensors.keys.sorted() {
            let reading = chip.sensors[sensor]!
            if let label = reading.values["label"] {
                sink.add(Self.sensorLabel, 1, chipLabel, sensor, label.text)
            }
            emitValues(reading, chipLabel: chipLabel, sensor: sensor, into: &sink)
        }
    }

    private func emitValues(
        _ reading: HwmonSensorReading, chipLabel: String, sensor: String, into sink: inout MetricSink
    ) {
        let hasBareValue = reading.values[""] != nil
        for property in reading.values.keys.sorted() {
            guard let family = HwmonFamilies.family(
                sensorType: reading.type, property: property, hasBareValue: hasBareValue)
            else { continue }

            let value = reading.values[property]!
            guard let raw = Double(value.text) else {
                sink.record(ParseError(path: value.path, expected: "a number", content: value.text))
                continue
            }

            var sensorLabel = sensor
            if family.sensorFromLabel {
                // node_exporter names a frequency by its label and skips one without a label.
                guard let label = reading.values["label"] else { continue }
                sensorLabel = cleanHwmonName(label.text)
            }
            var number = family.scale.apply(raw)
            if reading.type == "beep_enable" {
                // node_exporter exports 1 only for the text "1" and 0 for any other value.
                number = raw == 1 ? 1 : 0
            }
            sink.add(descriptor(for: family), number, chipLabel, sensorLabel)
        }
    }

    private func descriptor(for family: HwmonFamily) -> MetricDescriptor {
        descriptors.descriptor(family.name) {
            MetricDescriptor(
                family.name, family.help, type: family.type, labels: ["chip", "sensor"],
                windowUnit: family.windowUnit)
        }
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
    var values: [String: HwmonAttributeValue] = [:]
}

struct HwmonAttributeValue {
    let text: String
    let path: String
}
