/// The unit and subsystem of a family, derived from its name as the Prometheus naming
/// conventions spell them, for the JSON API.
public enum MetricUnits {
    /// Suffixes in the order they are tried, so `_joules_total` wins over `_total`. node_exporter
    /// spells some units in the singular (`_watt`, `_volt`).
    private static let suffixes: [(suffix: String, unit: String)] = [
        ("_joules_total", "joules"), ("_joule_total", "joules"), ("_seconds_total", "seconds"),
        ("_bytes_total", "bytes"), ("_packets_total", "packets"), ("_celsius", "celsius"),
        ("_hertz", "hertz"), ("_watts", "watts"), ("_watt", "watts"), ("_volts", "volts"), ("_volt", "volts"),
        ("_amperes", "amperes"), ("_ampere", "amperes"), ("_amps", "amperes"), ("_amp", "amperes"),
        ("_bytes", "bytes"), ("_seconds", "seconds"), ("_ratio", "ratio"), ("_rpm", "rpm"), ("_joules", "joules"),
        ("_transfers_per_second", "transfers_per_second"), ("_lanes", "lanes"), ("_info", "info"),
        ("_grams_total", "grams"), ("_grams_per_kilowatt_hour", "grams_per_kilowatt_hour"),
    ]


    /// The agent's own families, which `subsystem(of:)` groups as `agent`.
    private static let agentPrefixes = [
        "ember_build_", "ember_collector_", "ember_last_sample_", "ember_process_", "ember_read_", "ember_sample_",
        "ember_source_",
    ]

    /// Returns the unit of a family, or an empty string for a plain count or state.
    public static func unit(of name: String) -> String {
        // node_exporter's thermal zone family has no unit suffix but is in degrees Celsius.
        if name == "node_thermal_zone_temp" {
            return "celsius"
        }
        // node_exporter's link speed is a rate although its name ends in `_bytes`.
        if name == "node_network_speed_bytes" {
            return "bytes_per_second"
        }
        if let unit = suffixes.first(where: { name.hasSuffix($0.suffix) })?.unit {
            return unit
        }
        // node_exporter names most power-supply attributes after the sysfs file, without a unit,
        // and converts the kernel's microvolts and microamperes to volts and amperes.
        if name.hasPrefix("node_power_supply_") {
            if name == "node_power_supply_capacity" {
                return "percent"
            }
            if name.contains("voltage") {
                return "volts"
            }
            if name.contains("current") {
                return "amperes"
            }
        }
        return ""
    }

    /// Returns the subsystem of a family: `agent` for the agent's own families, else the first word
    /// after `node_` or `ember_` (`node_hwmon_temp_celsius` → `hwmon`), with node_exporter's
    /// two-word prefixes kept whole.
    public static func subsystem(of name: String) -> String {
        if agentPrefixes.contains(where: name.hasPrefix) {
            return "agent"
        }
        var rest = Substring(name)
        for prefix in ["node_", "ember_"] where rest.hasPrefix(prefix) {
            rest = rest.dropFirst(prefix.count)
            break
        }
        for compound in ["thermal_zone", "cooling_device", "power_supply"] where rest.hasPrefix(compound + "_") {
            return compound
        }
        return String(rest.prefix { $0 != "_" })
    }
}
