import EmberCore

/// Exports every chip under `class/hwmon` in node_exporter 1.5's `node_hwmon_*` families.
///
/// When the sysfs root is the real `/sys`, values and labels come through libsensors, so the
/// machine's `sensors3.conf` (or `--collector.hwmon.sensors-config`) applies its `label`, `ignore`
/// and `compute` statements. Elsewhere, and when libsensors cannot initialise, the files are read
/// directly, which gives the same series as node_exporter.
public final class HwmonCollector: Collector {
    public static let sensorsConfigFlag = "collector.hwmon.sensors-config"
    public static let libsensorsFlag = "collector.hwmon.libsensors"

    private let source: any HwmonSource
    private var families = HwmonFamilyMemo()
    private var uniqueLabels = HwmonUniqueLabelMemo()

    static let chipNames = MetricDescriptor(
        "node_hwmon_chip_names", "Human-readable name of a hwmon chip, from its `name` file; value 1.",
        labels: ["chip", "chip_name"])
    static let sensorLabel = MetricDescriptor(
        "node_hwmon_sensor_label", "Label the driver gives a sensor, from its `*_label` file; value 1.",
        labels: ["chip", "sensor", "label"])

    public convenience init(context: CollectorContext) {
        self.init(source: HwmonSourceSelection.select(context))
    }

    init(source: any HwmonSource) {
        self.source = source
    }

    /// Whether values come through libsensors.
    var usesLibsensors: Bool { source is LibsensorsHwmonSource }

    public func update(into sink: inout MetricSink) throws {
        let chips = try source.readChips(into: &sink)
        let labels = uniqueLabels.makeUnique(labels: chips.map(\.label), directoryNames: chips.map(\.directoryName))
        for (chip, label) in zip(chips, labels) {
            emit(chip, chipLabel: label, into: &sink)
        }
    }

    // MARK: Emitting

    private func emit(_ chip: HwmonChipReading, chipLabel: String, into sink: inout MetricSink) {
        if let name = chip.name, !name.isEmpty {
            sink.add(Self.chipNames, 1, chipLabel, name)
        }
        // Sensors are kept in name order.
        for (sensor, reading) in chip.sensors {
            let label = reading.values["label"]
            if let label {
                sink.add(Self.sensorLabel, 1, chipLabel, sensor, label.text)
            }
            emitValues(reading, label: label, chipLabel: chipLabel, sensor: sensor, into: &sink)
        }
    }

    private func emitValues(
        _ reading: HwmonSensorReading, label: HwmonAttributeValue?, chipLabel: String, sensor: String,
        into sink: inout MetricSink
    ) {
        // Values are kept in property order, where the bare value's key "" comes first.
        let hasBareValue = reading.values.first?.key == ""
        // One label array serves every family of the sensor that is labelled by its name.
        let labels = [chipLabel, sensor]
        for (property, value) in reading.values {
            guard let entry = family(of: value, sensorType: reading.type, property: property, hasBareValue: hasBareValue)
            else { continue }

            guard let raw = value.number ?? Self.number(value.text) else {
                sink.record(ParseError(path: value.path, expected: "a number", content: value.text))
                continue
            }

            if entry.temperatureRole != .unchecked,
               !isPlausibleTemperature(raw, role: entry.temperatureRole, value: value, sink: &sink) {
                continue
            }

            var number = entry.family.scale.apply(raw)
            if reading.type == "beep_enable" {
                // node_exporter exports 1 only for the text "1" and 0 for any other value.
                number = raw == 1 ? 1 : 0
            }
            if entry.family.sensorFromLabel {
                // node_exporter names a frequency by its label and skips one without a label.
                guard let label else { continue }
                sink.add(entry.descriptor, number, chipLabel, cleanHwmonName(label.text))
            } else {
                sink.add(entry.descriptor, number, labelValues: labels)
            }
        }
    }

    /// Returns the family of a value from its planned file, where the sysfs reader read it, and
    /// from ``HwmonFamilyMemo`` otherwise, keeping it in the planned file.
    private func family(
        of value: HwmonAttributeValue, sensorType: String, property: String, hasBareValue: Bool
    ) -> HwmonFamilyEntry? {
        let attribute = value.attribute
        if let attribute, let known = hasBareValue ? attribute.familyWithBareValue : attribute.familyWithoutBareValue {
            return known
        }

        let entry = families.family(sensorType: sensorType, property: property, hasBareValue: hasBareValue)
        if hasBareValue {
            attribute?.familyWithBareValue = .some(entry)
        } else {
            attribute?.familyWithoutBareValue = .some(entry)
        }
        return entry
    }

    /// Applies ``TemperatureRange`` to a `temp*` attribute in millidegrees Celsius: an implausible
    /// reading is recorded as an error, an implausible limit means "no threshold". Both are omitted.
    private func isPlausibleTemperature(
        _ raw: Double, role: HwmonTemperatureRole, value: HwmonAttributeValue, sink: inout MetricSink
    ) -> Bool {
        if TemperatureRange.contains(millicelsius: raw) {
            return true
        }

        if role == .reading {
            sink.record(TemperatureRange.implausible(value.path, content: value.text))
        }
        return false
    }

    /// Parses an attribute value as `Double(_:)` does. A decimal integer of up to 15 digits, which
    /// nearly every attribute is, is converted from its bytes with a fifth of the instructions (callgrind).
    static func number(_ text: String) -> Double? {
        let integer = text.utf8.withContiguousStorageIfAvailable(Self.smallInteger) ?? nil
        return integer ?? Double(text)
    }

    /// Returns the value of an optional `-` and 1 to 15 decimal digits, or nil for other bytes.
    /// 15 digits stay below 2^53, so the conversion to `Double` is exact.
    private static func smallInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let value = AttributeBytes.decimalInteger(bytes[...], maxDigits: 15) else { return nil }

        // Negating the Double keeps the sign of "-0", as `Double("-0")` does.
        return bytes.first == UInt8(ascii: "-") ? -Double(-value) : Double(value)
    }

    /// Properties of a `temp` sensor that are measured temperatures (`temp1_input`, a bare `temp`).
    /// Alarms, faults, `type` and `offset` are neither these nor limits, and are not range-checked.
    static let temperatureReadings: Set<String> = ["", "input", "lowest", "highest"]

    /// Properties of a `temp` sensor that are thresholds, in absolute millidegrees Celsius as the
    /// kernel's hwmon sysfs interface defines them (hysteresis values too).
    static let temperatureLimits: Set<String> = [
        "min", "max", "crit", "lcrit", "emergency", "min_hyst", "max_hyst", "crit_hyst", "lcrit_hyst",
        "emergency_hyst", "rated_min", "rated_max",
    ]
}
