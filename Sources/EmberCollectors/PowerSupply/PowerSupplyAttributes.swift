import EmberCore

/// The mapping of one numeric `class/power_supply/<name>/<file>` attribute to a node_exporter family.
struct PowerSupplyNumericAttribute: Sendable {
    let file: String
    let descriptor: MetricDescriptor
    /// The kernel's unit per exported unit: 1, 1e6 (µV, µA, µW, µWh, µAh) or 10 (tenths of °C).
    let divisor: Double
    /// Whether the value is a design figure or a limit (``PowerSupplyAttributes/settledFiles``).
    let settled: Bool
}

/// The attribute table of the `powersupplyclass` collector, after node_exporter's names.
///
/// Family names are node_exporter's even where they lack a unit suffix (`energy_full` is in
/// watt-hours, `voltage_min_design` in volts), so existing dashboards keep working.
enum PowerSupplyAttributes {
    /// Files whose text becomes a label of `node_power_supply_info` when it is not empty.
    static let infoFiles: [String] = [
        "capacity_level", "charge_type", "health", "manufacturer", "model_name", "scope", "serial_number", "status",
        "technology", "type", "usb_type",
    ]

    static let numeric: [PowerSupplyNumericAttribute] = plain + micro + tenths

    /// Design figures, limits and identity, which the driver or the administrator sets and which
    /// are read again only at a rescan. Present values, status, health and the USB type that a
    /// charger negotiates change at run time.
    static let settledFiles: Set<String> = [
        "energy_empty_design", "energy_full_design", "charge_empty_design", "charge_full_design",
        "voltage_max_design", "voltage_min_design", "capacity_alert_max", "capacity_alert_min", "temp_alert_max",
        "temp_alert_min", "temp_ambient_max", "temp_ambient_min", "temp_max", "temp_min", "charge_control_limit_max",
        "constant_charge_current_max", "constant_charge_voltage_max", "manufacturer", "model_name", "serial_number",
        "technology", "type", "scope",
    ]

    private static let plain: [PowerSupplyNumericAttribute] = [
        ("authentic", "authentic"), ("calibrate", "calibrate"), ("capacity", "capacity"),
        ("capacity_alert_max", "capacity_alert_max"), ("capacity_alert_min", "capacity_alert_min"),
        ("cycle_count", "cyclecount"), ("online", "online"), ("present", "present"),
        ("time_to_empty_now", "time_to_empty_seconds"), ("time_to_full_now", "time_to_full_seconds"),
    ].map { make($0.0, $0.1, divisor: 1) }

    private static let micro: [PowerSupplyNumericAttribute] = [
        ("current_boot", "current_boot"), ("current_max", "current_max"), ("current_now", "current_ampere"),
        ("energy_empty", "energy_empty"), ("energy_empty_design", "energy_empty_design"),
        ("energy_full", "energy_full"), ("energy_full_design", "energy_full_design"),
        ("energy_now", "energy_watthour"), ("voltage_boot", "voltage_boot"), ("voltage_max", "voltage_max"),
        ("voltage_max_design", "voltage_max_design"), ("voltage_min", "voltage_min"),
        ("voltage_min_design", "voltage_min_design"), ("voltage_now", "voltage_volt"),
        ("voltage_ocv", "voltage_ocv"), ("charge_control_limit", "charge_control_limit"),
        ("charge_control_limit_max", "charge_control_limit_max"), ("charge_counter", "charge_counter"),
        ("charge_empty", "charge_empty"), ("charge_empty_design", "charge_empty_design"),
        ("charge_full", "charge_full"), ("charge_full_design", "charge_full_design"),
        ("charge_now", "charge_ampere"), ("charge_term_current", "charge_term_current"),
        ("constant_charge_current", "constant_charge_current"),
        ("constant_charge_current_max", "constant_charge_current_max"),
        ("constant_charge_voltage", "constant_charge_voltage"),
        ("constant_charge_voltage_max", "constant_charge_voltage_max"),
        ("precharge_current", "precharge_current"), ("input_current_limit", "input_current_limit"),
        ("power_now", "power_watt"),
    ].map { make($0.0, $0.1, divisor: 1_000_000) }

    private static let tenths: [PowerSupplyNumericAttribute] = [
        ("temp", "temp_celsius"), ("temp_alert_max", "temp_alert_max_celsius"),
        ("temp_alert_min", "temp_alert_min_celsius"), ("temp_ambient", "temp_ambient_celsius"),
        ("temp_ambient_max", "temp_ambient_max_celsius"), ("temp_ambient_min", "temp_ambient_min_celsius"),
        ("temp_max", "temp_max_celsius"), ("temp_min", "temp_min_celsius"),
    ].map { make($0.0, $0.1, divisor: 10) }

    private static func make(_ file: String, _ suffix: String, divisor: Double) -> PowerSupplyNumericAttribute {
        let unit: String
        switch divisor {
        case 10: unit = ", converted from tenths of a degree Celsius"
        case 1_000_000: unit = ", converted from the kernel's micro-units"
        default: unit = ""
        }
        let windowUnit = file == "power_now" ? "watts" : (file == "temp" ? "celsius" : nil)
        let descriptor = MetricDescriptor(
            "node_power_supply_" + suffix, "Value of /sys/class/power_supply/<power_supply>/\(file)\(unit).",
            labels: ["power_supply"], windowUnit: windowUnit)
        return PowerSupplyNumericAttribute(
            file: file, descriptor: descriptor, divisor: divisor, settled: settledFiles.contains(file))
    }
}
