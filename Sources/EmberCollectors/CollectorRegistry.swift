import EmberCore

/// Every collector the agent has, in the order they appear in `--help`.
///
/// The list is explicit so `grep` finds every registration; names follow node_exporter's where it
/// has the same collector, so `--no-collector.NAME` reads the same.
public enum CollectorRegistry {
    public static let all: [CollectorDefinition] = [
        CollectorDefinition(
            name: "cpu", summary: "Time per CPU and mode from /proc/stat, and CPU utilization between samples."
        ) { CPUCollector(context: $0) },
        CollectorDefinition(
            name: "cpufreq", summary: "CPU frequencies, governors and per-policy frequency residency from cpufreq."
        ) { CpufreqCollector(context: $0) },
        CollectorDefinition(
            name: "netclass", summary: "Network interface properties from /sys/class/net."
        ) { NetClassCollector(context: $0) },
        CollectorDefinition(
            name: "netdev", summary: "Network interface counters from /proc/net/dev.",
            optionHelp: [
                CollectorOptionHelp(
                    flag: NetDevCollector.includeFlag, defaultValue: "",
                    help: "Regular expression of interface names to include (matches anywhere in the name "
                        + "unless anchored with ^ and $); empty includes all. Exclusive with device-exclude."),
                CollectorOptionHelp(
                    flag: NetDevCollector.excludeFlag, defaultValue: "",
                    help: "Regular expression of interface names to exclude (matches anywhere in the name "
                        + "unless anchored with ^ and $); empty excludes none. Exclusive with device-include."),
            ]
        ) { try NetDevCollector(context: $0) },
        CollectorDefinition(
            name: "bonding", summary: "Slave counts, mode and active slave of bonding interfaces."
        ) { BondingCollector(context: $0) },
        CollectorDefinition(
            name: "hwmon",
            summary: "Hardware monitor chips from /sys/class/hwmon (temperatures, voltages, fans), through libsensors "
                + "when --path.sysfs is /sys.",
            optionHelp: [
                CollectorOptionHelp(
                    flag: HwmonCollector.sensorsConfigFlag, defaultValue: "",
                    help: "libsensors configuration file to apply instead of /etc/sensors3.conf and /etc/sensors.d; "
                        + "used only when --path.sysfs is /sys."),
                CollectorOptionHelp(
                    flag: HwmonCollector.libsensorsFlag, defaultValue: "true",
                    help: "Read hwmon through libsensors when --path.sysfs is /sys; false reads the files directly, "
                        + "as node_exporter does, and ignores the libsensors configuration."),
            ]
        ) { HwmonCollector(context: $0) },
        CollectorDefinition(
            name: "thermal_zone",
            summary: "Thermal zones, trip points and cooling devices from /sys/class/thermal."
        ) { ThermalZoneCollector(context: $0) },
        CollectorDefinition(
            name: "powersupplyclass", summary: "Power supplies and batteries from /sys/class/power_supply."
        ) { PowerSupplyClassCollector(context: $0) },
        CollectorDefinition(
            name: "nvme",
            summary: "NVMe controller identity and state from /sys/class/nvme, and the SMART / Health "
                + "Information log read from /dev/nvmeN (needs CAP_SYS_ADMIN).",
            optionHelp: [
                CollectorOptionHelp(
                    flag: NVMeCollector.smartIntervalFlag, defaultValue: "60s",
                    help: "Time between reads of each controller's SMART log (a duration: 30s, 5m); the "
                        + "samples in between repeat the last read."),
            ]
        ) { try NVMeCollector(context: $0) },
        CollectorDefinition(
            name: "mmc",
            summary: "SD cards and eMMC devices from /sys/bus/mmc/devices, with the eMMC life time estimate and "
                + "pre-end-of-life state, and their host's error counts from debugfs (root only)."
        ) { MMCCollector(context: $0) },
        CollectorDefinition(
            name: "storage_errors",
            summary: "I/O error counters of SCSI disks, ext4 error records, and block-device file systems the "
                + "kernel forced read-only."
        ) { StorageErrorsCollector(context: $0) },
        CollectorDefinition(
            name: "pcie",
            summary: "PCI functions with pci.ids names, PCI Express link speed and width, and AER error counters.",
            optionHelp: [
                CollectorOptionHelp(
                    flag: PCIeCollector.dumpFlag, defaultValue: "",
                    help: "Read PCI functions from this `lspci -xxxx` dump file instead of sysfs; empty reads sysfs."),
            ]
        ) { try PCIeCollector(context: $0) },
        CollectorDefinition(
            name: "rapl", summary: "RAPL energy counters from /sys/class/powercap."
        ) { RaplCollector(context: $0) },
        CollectorDefinition(
            name: "devfreq",
            summary: "GPU, NPU and memory controller frequencies, load and frequency residency from /sys/class/devfreq."
        ) { DevfreqCollector(context: $0) },
        CollectorDefinition(
            name: "rknpu", summary: "Per-core NPU load from the Rockchip vendor RKNPU driver (debugfs or procfs)."
        ) { RKNPUCollector(context: $0) },
        CollectorDefinition(
            name: "cpuidle", summary: "Time and entries per CPU idle state from /sys/devices/system/cpu/cpuN/cpuidle."
        ) { CpuidleCollector(context: $0) },
        CollectorDefinition(
            name: "regulator", summary: "Voltage and current regulators (PMIC rails) from /sys/class/regulator."
        ) { RegulatorCollector(context: $0) },
        CollectorDefinition(
            name: "power",
            summary: "Measured power (hwmon, power_supply, RAPL), an energy-model estimate, energy and carbon totals.",
            optionHelp: PowerOptions.help
        ) { try PowerCollector(context: $0, startingAt: .restored(from: $0.counters)) },
    ]

    /// Returns the definition named `name`, if any.
    public static func definition(named name: String) -> CollectorDefinition? {
        all.first { $0.name == name }
    }
}
