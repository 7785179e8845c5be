import EmberCore

/// A conversion from a sysfs unit to an exported base unit, done with the same floating-point
/// operation as node_exporter (`x * 0.001`, `x / 1e6`), so values match it bit for bit.
enum UnitConversion: Equatable, Sendable {
    case none
    /// Milli-units to units: m°C, mV, mA, ms.
    case milli
    /// Micro-units to units: µW, µJ, µV, µA, and millionths of a ratio.
    case micro

    func apply(_ raw: Double) -> Double {
        switch self {
        case .none: raw
        case .milli: raw * 0.001
        case .micro: raw / 1_000_000.0
        }
    }
}

/// The family one hwmon attribute feeds, with the conversion from the kernel's unit to the family's.
struct HwmonFamily: Equatable, Sendable {
    let name: String
    let help: String
    let type: MetricType
    let scale: UnitConversion
    /// Set on the measured temperature and power families, which get trailing-window aggregates.
    let windowUnit: String?
    /// Whether the `sensor` label is the sensor's cleaned `label` file instead of `freq1`; only
    /// `freq*_input` does this, as in node_exporter 1.7.
    let sensorFromLabel: Bool

    init(
        _ name: String, _ help: String, type: MetricType = .gauge, scale: UnitConversion = .none,
        windowUnit: String? = nil, sensorFromLabel: Bool = false
    ) {
        self.name = name
        self.help = help
        self.type = type
        self.scale = scale
        self.windowUnit = windowUnit
        self.sensorFromLabel = sensorFromLabel
    }
}

/// The mapping of hwmon attributes to node_exporter 1.5's family names and units.
///
/// The name is `node_hwmon_<type>`, then `_<property>` (cleaned), then a unit suffix chosen by
/// type: `_volts` (in, cpu; mV), `_celsius` (temp; m°C), `_amps` (curr; mA), `_joule_total`
/// (energy; µJ), `_watt` (power; µW), `_rpm` (fan speeds). `alarm` and `fault` keep no suffix
/// and `beep` becomes `_beep_enabled`. The suffix also lands on limits and alarms, so
/// `temp1_crit_alarm` is `node_hwmon_temp_crit_alarm_celsius`, exactly as node_exporter names it.
enum HwmonFamilies {
    /// Returns the family of `property` of a sensor of `sensorType`.
    ///
    /// `hasBareValue` is true when the sensor also has a file without a property (`pwm1` beside
    /// `pwm1_enable`). Then `_input` keeps its own name instead of naming the bare family.
    /// Returns nil for `label` (exported as `node_hwmon_sensor_label`) and for the
    /// properties of `beep_enable`, `vrm` and `update_interval` other than their bare value.
    static func family(sensorType: String, property: String, hasBareValue: Bool) -> HwmonFamily? {
        if property == "label" {
            return nil
        }
        if let chipWide = chipWideFamily(sensorType: sensorType) {
            return property.isEmpty ? chipWide : nil
        }

        var name = "node_hwmon_" + sensorType
        if property == "input" {
            name += hasBareValue ? "_input" : ""
        } else if !property.isEmpty {
            name += "_" + cleanHwmonName(property)
        }
        return unitlessFamily(name, sensorType: sensorType, property: property)
            ?? measuredFamily(name, sensorType: sensorType, property: property)
    }

    /// Chip-wide settings that node_exporter names by type alone.
    private static func chipWideFamily(sensorType: String) -> HwmonFamily? {
        switch sensorType {
        case "beep_enable":
            HwmonFamily("node_hwmon_beep_enabled", "Whether the chip's alarm beep is enabled (1) or not (0).")
        case "vrm":
            HwmonFamily("node_hwmon_voltage_regulator_version", "Voltage regulator module version of the chip.")
        case "update_interval":
            HwmonFamily(
                "node_hwmon_update_interval_seconds", "Interval at which the chip updates its readings, in seconds.",
                scale: .milli)
        default:
            nil
        }
    }

    private static func unitlessFamily(_ name: String, sensorType: String, property: String) -> HwmonFamily? {
        switch property {
        case "alarm", "fault":
            HwmonFamily(name, "Hardware monitor \(property) flag of a \(sensorType) sensor (1 = raised).")
        case "beep":
            HwmonFamily(name + "_enabled", "Whether the \(sensorType) sensor beeps on alarm (1) or not (0).")
        default:
            nil
        }
    }

    private static func measuredFamily(_ name: String, sensorType: String, property: String) -> HwmonFamily {
        let shown = property.isEmpty ? "input" : property
        let isReading = property.isEmpty || property == "input"
        switch sensorType {
        case "in", "cpu":
            return HwmonFamily(name + "_volts", "Hardware monitor voltage (\(shown)), in volts.", scale: .milli)
        case "temp" where property != "type":
            return HwmonFamily(
                name + "_celsius", "Hardware monitor temperature (\(shown)), in degrees Celsius.", scale: .milli,
                windowUnit: isReading ? "celsius" : nil)
        case "curr":
            return HwmonFamily(name + "_amps", "Hardware monitor current (\(shown)), in amperes.", scale: .milli)
        case "energy":
            return HwmonFamily(
                name + "_joule_total", "Energy used as counted by the hardware monitor (\(shown)), in joules.",
                type: .counter, scale: .micro)
        case "power":
            return powerFamily(name, property: property, shown: shown)
        case "humidity":
            return HwmonFamily(name, "Hardware monitor relative humidity (\(shown)), as a ratio.", scale: .micro)
        case "fan" where ["input", "min", "max", "target"].contains(property):
            return HwmonFamily(name + "_rpm", "Hardware monitor fan speed (\(shown)), in revolutions per minute.")
        case "freq" where property == "input":
            return HwmonFamily(
                name + "_freq_mhz", "Hardware monitor frequency, in megahertz.", scale: .micro, sensorFromLabel: true)
        default:
            return HwmonFamily(name, "Hardware monitor \(sensorType) attribute \(shown), as the kernel reports it.")
        }
    }

    private static func powerFamily(_ name: String, property: String, shown: String) -> HwmonFamily {
        switch property {
        case "accuracy":
            return HwmonFamily(name, "Hardware monitor power meter accuracy, as a ratio.", scale: .micro)
        case "average_interval", "average_interval_min", "average_interval_max":
            return HwmonFamily(
                name + "_seconds", "Hardware monitor power averaging interval (\(shown)), in seconds.", scale: .milli)
        default:
            let isReading = ["", "input", "average"].contains(property)
            return HwmonFamily(
                name + "_watt", "Hardware monitor power (\(shown)), in watts.", scale: .micro,
                windowUnit: isReading ? "watts" : nil)
        }
    }
}
