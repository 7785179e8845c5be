import EmberCore

/// The `cpufreq` collector: node_exporter's per-CPU frequency families from
/// `devices/system/cpu/cpuN/cpufreq`, plus per-policy statistics node_exporter leaves out.
public final class CpufreqCollector: Collector {
    static let scalingFrequency = MetricDescriptor(
        "node_cpu_scaling_frequency_hertz", "Current frequency the cpufreq governor set, in hertz.",
        labels: ["cpu"], windowUnit: "hertz")
    static let scalingMinimum = MetricDescriptor(
        "node_cpu_scaling_frequency_min_hertz", "Lowest frequency the governor may set, in hertz.",
        labels: ["cpu"])
    static let scalingMaximum = MetricDescriptor(
        "node_cpu_scaling_frequency_max_hertz", "Highest frequency the governor may set, in hertz.",
        labels: ["cpu"])
    static let hardwareFrequency = MetricDescriptor(
        "node_cpu_frequency_hertz", "Current frequency the hardware reports, in hertz (often root-only).",
        labels: ["cpu"], windowUnit: "hertz")
    static let hardwareMinimum = MetricDescriptor(
        "node_cpu_frequency_min_hertz", "Lowest frequency the hardware supports, in hertz.", labels: ["cpu"])
    static let hardwareMaximum = MetricDescriptor(
        "node_cpu_frequency_max_hertz", "Highest frequency the hardware supports, in hertz.", labels: ["cpu"])
    static let governor = MetricDescriptor(
        "node_cpu_scaling_governor", "1 for the CPU's current cpufreq governor, 0 for the other available ones.",
        labels: ["cpu", "governor"])

    /// Per-CPU kHz attributes and the family each feeds; sysfs cpufreq values are kHz.
    static let frequencyAttributes: [(file: String, descriptor: MetricDescriptor)] = [
        ("cpuinfo_cur_freq", hardwareFrequency),
        ("cpuinfo_min_freq", hardwareMinimum),
        ("cpuinfo_max_freq", hardwareMaximum),
        ("scaling_cur_freq", scalingFrequency),
        ("scaling_min_freq", scalingMinimum),
        ("scaling_max_freq", scalingMaximum),
    ]

    let reader: SourceReader
    let ticksPerSecond: Double
    /// The last `time_in_state` per policy name, for ``CpufreqCollector/averageFrequency``.
    var previousResidency: [String: [FrequencyResidency]] = [:]

    /// `ticksPerSecond` is USER_HZ; tests pass a fixed value so expected seconds are exact.
    public init(context: CollectorContext, ticksPerSecond: Double = ClockTicks.perSecond) {
        reader = context.reader
        self.ticksPerSecond = ticksPerSecond
    }

    public func update(into sink: inout MetricSink) throws {
        let cpuDirectory = reader.roots.sys("devices/system/cpu")
        for cpu in try reader.numberedSysfsEntries(cpuDirectory, prefix: "cpu") {
            let directory = cpuDirectory + "/" + cpu + "/cpufreq"
            if reader.exists(directory) {
                addCPU(String(cpu.dropFirst(3)), directory: directory, into: &sink)
            }
        }
        try addPolicies(into: &sink)
    }

    /// The capability that lets a user other than root read `cpuinfo_cur_freq`, which the kernel
    /// creates with mode 0400. Without it the read is denied once and then failed from memory
    /// (``PermissionDenialCache``).
    static let hardwareFrequencyPrivilege = "CAP_DAC_READ_SEARCH"

    private func addCPU(_ cpu: String, directory: String, into sink: inout MetricSink) {
        for (file, descriptor) in CpufreqCollector.frequencyAttributes {
            let privilege = file == "cpuinfo_cur_freq" ? Self.hardwareFrequencyPrivilege : nil
            let path = directory + "/" + file
            if let kilohertz = reader.readOrRecord(path, into: &sink, grantedBy: privilege, readKilohertz) ?? nil {
                sink.add(descriptor, Double(kilohertz) * 1000, cpu)
            }
        }
        addGovernors(cpu, directory: directory, into: &sink)
    }

    /// Reads a kHz attribute; nil when the kernel prints `<unknown>`, which `cpuinfo_cur_freq` does
    /// when the driver cannot read the hardware frequency.
    private func readKilohertz(_ path: String) throws -> UInt64? {
        let text = try reader.string(path)
        if text == "<unknown>" {
            return nil
        }
        guard let value = UInt64(text) else {
            throw ParseError(path: path, expected: "a frequency in kHz", content: text)
        }
        return value
    }

    /// Adds one series per available governor, as node_exporter releases after 1.5 do.
    private func addGovernors(_ cpu: String, directory: String, into sink: inout MetricSink) {
        guard let current = reader.readOrRecord(directory + "/scaling_governor", into: &sink, reader.string),
              !current.isEmpty
        else { return }

        let listPath = directory + "/scaling_available_governors"
        var available = reader.readOrRecord(listPath, into: &sink, reader.string).map(CpufreqParser.parseList) ?? []
        if !available.contains(current) {
            available.append(current)
        }
        for name in available {
            sink.add(CpufreqCollector.governor, name == current ? 1 : 0, cpu, name)
        }
    }
}
