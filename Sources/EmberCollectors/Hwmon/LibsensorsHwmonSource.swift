import CSensors
import EmberCore

/// Reads hwmon through libsensors, so the user's configuration applies, on top of the direct
/// sysfs reader.
///
/// The sysfs reader still lists every chip and reads the files libsensors does not read, because
/// libsensors 3.6 reads only part of the attributes node_exporter exports (no `pwm*`, `freq*`,
/// `update_interval`, `*_enable`), and `_label` files.
/// For each chip libsensors also reports, its features then replace the sysfs readings: values
/// with `compute` applied, configured labels, and sensors dropped by `ignore`. Without a
/// configuration the values equal the sysfs values, so the series are the same on both paths.
final class LibsensorsHwmonSource: HwmonSource {
    private let sysfs: SysfsHwmonSource
    /// ``Libsensors/readChips()``, or chip descriptions a test constructs.
    private let readLibsensorsChips: () -> [LibsensorsChip]

    init(sysfs: SysfsHwmonSource, readLibsensorsChips: @escaping () -> [LibsensorsChip]) {
        self.sysfs = sysfs
        self.readLibsensorsChips = readLibsensorsChips
    }

    func readChips(into sink: inout MetricSink) throws -> [HwmonChipReading] {
        let libsensorsChips = readLibsensorsChips()
        let covered = LibsensorsOverlay.coveredFiles(libsensorsChips, classPath: sysfs.classPath)
        var chips = try sysfs.readChips(into: &sink, skipping: covered)
        LibsensorsOverlay.apply(libsensorsChips, to: &chips, classPath: sysfs.classPath, sink: &sink)
        return chips
    }
}

/// The mapping of libsensors' chips and features onto the sysfs readings, as pure functions.
enum LibsensorsOverlay {
    /// Sensor types libsensors models as features. A sensor of these types whose files libsensors
    /// reads but that it does not list was dropped by an `ignore` statement.
    static let libsensorsTypes: Set<String> = [
        "in", "fan", "temp", "power", "energy", "curr", "humidity", "cpu", "intrusion", "beep_enable",
    ]

    /// Applies each libsensors chip to the sysfs reading of the same hwmon directory. Chips are
    /// matched by path, never by name, because two virtual chips can share prefix, bus and address.
    static func apply(
        _ libsensorsChips: [LibsensorsChip], to chips: inout [HwmonChipReading], classPath: String,
        sink: inout MetricSink
    ) {
        var byDirectory: [String: LibsensorsChip] = [:]
        for chip in libsensorsChips {
            if let directory = hwmonDirectory(ofChipPath: chip.path, classPath: classPath) {
                byDirectory[directory] = chip
            }
        }
        for index in chips.indices {
            guard let chip = byDirectory[chips[index].directoryName] else { continue }
            apply(chip, to: &chips[index], sink: &sink)
        }
    }

    /// Returns the attribute files libsensors read, by hwmon directory, so they are read only once.
    static func coveredFiles(_ libsensorsChips: [LibsensorsChip], classPath: String) -> [String: Set<String>] {
        var covered: [String: Set<String>] = [:]
        for chip in libsensorsChips {
            guard let directory = hwmonDirectory(ofChipPath: chip.path, classPath: classPath) else { continue }
            let names = chip.features.flatMap { $0.subfeatures.map(\.name) }
            covered[directory, default: []].formUnion(names)
        }
        return covered
    }

    /// Returns `hwmonN` for a libsensors chip path `<classPath>/hwmonN` or `<classPath>/hwmonN/device`.
    static func hwmonDirectory(ofChipPath path: String, classPath: String) -> String? {
        var relative = Substring(path)
        guard relative.hasPrefix(classPath + "/") else { return nil }
        relative = relative.dropFirst(classPath.count + 1)
        if relative.hasSuffix("/device") {
            relative = relative.dropLast("/device".count)
        }
        return relative.isEmpty || relative.contains("/") ? nil : String(relative)
    }

    static func apply(_ chip: LibsensorsChip, to reading: inout HwmonChipReading, sink: inout MetricSink) {
        var listed: Set<String> = []
        for feature in chip.features {
            guard let sensor = HwmonAttributeName(feature.name)?.sensor else { continue }
            listed.insert(sensor)
            apply(feature, sensor: sensor, chipPath: chip.path, to: &reading, sink: &sink)
        }
        // NOTE: libsensors also leaves out a sensor whose files it does not recognise (one with no
        // `_input`, say), which this treats as ignored too.
        for (sensor, values) in reading.sensors where libsensorsTypes.contains(values.type) && !listed.contains(sensor) {
            let seenByLibsensors = values.values.values.contains {
                isReadByLibsensors($0.path, chipPath: chip.path, sensorType: values.type)
            }
            if seenByLibsensors {
                reading.sensors[sensor] = nil
            }
        }
    }

    /// Returns whether libsensors reads the attribute file at `path`. libsensors 3.6 reads only
    /// the chip's own directory (`hwmonN`, or `hwmonN/device` for drivers that keep their files
    /// there) and only names with a sensor number. The sysfs reader, like node_exporter, also reads
    /// the other directory and turns a bare `temp` (a thermal zone's own file) into `temp0`, and
    /// a sensor libsensors never saw cannot have been dropped by an `ignore` statement.
    static func isReadByLibsensors(_ path: String, chipPath: String, sensorType: String) -> Bool {
        guard path.hasPrefix(chipPath + "/") else { return false }

        let fileName = path.dropFirst(chipPath.count + 1)
        guard !fileName.contains("/"), fileName.hasPrefix(sensorType) else { return false }
        return fileName.dropFirst(sensorType.count).first?.isNumber ?? false
    }

    private static func apply(
        _ feature: LibsensorsFeature, sensor: String, chipPath: String, to reading: inout HwmonChipReading,
        sink: inout MetricSink
    ) {
        guard let type = HwmonAttributeName(feature.name)?.type else { return }
        var values = reading.sensors[sensor] ?? HwmonSensorReading(type: type)
        if let error = feature.labelError {
            sink.record(error)
        }

        if let label = configuredLabel(feature, fileLabel: values.values["label"]?.text) {
            values.values["label"] = HwmonAttributeValue(text: label, path: chipPath + "/" + sensor + "_label")
        }
        for subfeature in feature.subfeatures {
            guard let attribute = HwmonAttributeName(subfeature.name) else { continue }
            let path = chipPath + "/" + subfeature.name
            switch subfeature.value {
            case .success(let value):
                let raw = sysfsValue(value, subfeatureType: subfeature.type)
                values.values[attribute.property] = HwmonAttributeValue(text: String(raw), path: path, number: raw)
            case .failure(let error):
                values.values[attribute.property] = nil
                sink.record(error)
            }
        }
        reading.sensors[sensor] = values
    }

    /// Returns the label a configuration file set, or nil when libsensors' label is the `_label`
    /// file or the feature name, so the sysfs reader's label text, whitespace and all, stays.
    static func configuredLabel(_ feature: LibsensorsFeature, fileLabel: String?) -> String? {
        let label = SysfsClass.trimSpace(feature.label)
        if label == feature.name || label == fileLabel.map(SysfsClass.trimSpace) {
            return nil
        }
        return feature.label
    }

    /// Converts a libsensors value back to the sysfs file's unit by undoing libsensors' scaling
    /// (`get_type_scaling` in lib/sysfs.c of lm-sensors 3.6). A result within 1e-9 of an integer
    /// is rounded, because sysfs values are integers and the division and multiplication may
    /// leave a last-bit error, while a `compute` result keeps its fraction.
    static func sysfsValue(_ value: Double, subfeatureType type: UInt32) -> Double {
        let raw = value * scaling(subfeatureType: type)
        let rounded = raw.rounded()
        return abs(raw - rounded) <= 1e-9 * max(1, abs(raw)) ? rounded : raw
    }

    static func scaling(subfeatureType type: UInt32) -> Double {
        switch type & 0xFF80 {
        case SENSORS_SUBFEATURE_IN_INPUT.rawValue, SENSORS_SUBFEATURE_TEMP_INPUT.rawValue,
             SENSORS_SUBFEATURE_CURR_INPUT.rawValue, SENSORS_SUBFEATURE_HUMIDITY_INPUT.rawValue:
            return 1000
        case SENSORS_SUBFEATURE_POWER_AVERAGE.rawValue, SENSORS_SUBFEATURE_ENERGY_INPUT.rawValue:
            return 1_000_000
        default:
            break
        }
        switch type {
        case SENSORS_SUBFEATURE_POWER_AVERAGE_INTERVAL.rawValue, SENSORS_SUBFEATURE_VID.rawValue,
             SENSORS_SUBFEATURE_TEMP_OFFSET.rawValue:
            return 1000
        default:
            return 1
        }
    }
}

/// A subfeature libsensors could not read; its series is omitted.
struct LibsensorsReadError: Error, Sendable, CustomStringConvertible {
    let path: String
    let error: LibsensorsError

    var description: String { "\(path): \(error)" }
}
