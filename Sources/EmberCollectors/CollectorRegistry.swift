import EmberCore

/// Every collector the agent knows, in the order they appear in `--help`.
///
/// The list is explicit so `grep` finds every registration; names follow node_exporter's where it
/// has the same collector, so `--no-collector.NAME` reads the same.
public enum CollectorRegistry {
    public static let all: [CollectorDefinition] = [
        CollectorDefinition(
            name: "hwmon", summary: "Hardware monitor chips from /sys/class/hwmon (temperatures, voltages, fans).",
            make: { HwmonCollector(context: $0) }),
        CollectorDefinition(
            name: "thermal_zone",
            summary: "Thermal zones, trip points and cooling devices from /sys/class/thermal.",
            make: { ThermalZoneCollector(context: $0) }),
        CollectorDefinition(
            name: "powersupplyclass", summary: "Power supplies and batteries from /sys/class/power_supply.",
            make: { PowerSupplyClassCollector(context: $0) }),
        CollectorDefinition(
            name: "nvme", summary: "NVMe controller identity and state from /sys/class/nvme.",
            make: { NVMeCollector(context: $0) }),
        CollectorDefinition(
            name: "rapl", summary: "RAPL energy counters from /sys/class/powercap.",
            make: { RaplCollector(context: $0) }),
    ]

    /// The definition named `name`, if any.
    public static func definition(named name: String) -> CollectorDefinition? {
        all.first { $0.name == name }
    }
}
