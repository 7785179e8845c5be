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

    /// Per-CPU kHz attributes, whether each is settled, and the family each feeds; sysfs cpufreq
    /// values are kHz.
    ///
    /// The hardware limits are settled: they change only when the driver is loaded again, so they
    /// are read again only at a rescan. The scaling limits stay per sample, because thermal and
    /// power limits move `scaling_max_freq` while the system runs (RK3588 boards under load).
    static let frequencyAttributes: [(file: String, settled: Bool, descriptor: MetricDescriptor)] = [
        ("cpuinfo_cur_freq", false, hardwareFrequency),
        ("cpuinfo_min_freq", true, hardwareMinimum),
        ("cpuinfo_max_freq", true, hardwareMaximum),
        ("scaling_cur_freq", false, scalingFrequency),
        ("scaling_min_freq", false, scalingMinimum),
        ("scaling_max_freq", false, scalingMaximum),
    ]

    let reader: SourceReader
    let ticksPerSecond: Double
    /// The last `time_in_state` per policy name, for ``CpufreqCollector/averageFrequency``.
    var previousResidency: [String: [FrequencyResidency]] = [:]
    private let cpuDirectory: String
    private var cpus = ListingPlan<CpufreqCPUPaths>()
    private var cpuEntries = NumberedEntriesMemo(prefix: "cpu")
    var policyEntries = NumberedEntriesMemo(prefix: "policy")
    var policies = ListingPlan<CpufreqPolicyPaths>()

    /// `ticksPerSecond` is USER_HZ; tests pass a fixed value so expected seconds are exact.
    public init(context: CollectorContext, ticksPerSecond: Double = ClockTicks.perSecond) {
        reader = context.reader
        self.ticksPerSecond = ticksPerSecond
        cpuDirectory = context.reader.roots.sys("devices/system/cpu")
    }

    public func update(into sink: inout MetricSink) throws {
        let entries = try cpuEntries.entries(of: cpuDirectory, reader: reader)
        for cpu in cpus.values(for: entries, { CpufreqCPUPaths(entry: $0, cpuDirectory: cpuDirectory) }) {
            if reader.exists(cpu.directory) {
                addCPU(cpu, into: &sink)
            }
        }
        try addPolicies(into: &sink)
    }

    /// The capability that lets a user other than root read `cpuinfo_cur_freq`, which the kernel
    /// creates with mode 0400. Without it the read is denied once and then failed from memory
    /// (``PermissionDenialCache``).
    static let hardwareFrequencyPrivilege = "CAP_DAC_READ_SEARCH"

    private func addCPU(_ cpu: CpufreqCPUPaths, into sink: inout MetricSink) {
        for (path, attribute) in zip(cpu.frequencies, CpufreqCollector.frequencyAttributes) {
            let privilege = attribute.file == "cpuinfo_cur_freq" ? Self.hardwareFrequencyPrivilege : nil
            let kilohertz = reader.readOrRecord(path, into: &sink, grantedBy: privilege) { path in
                try readKilohertz(path, settled: attribute.settled)
            }
            if let kilohertz = kilohertz ?? nil {
                sink.add(attribute.descriptor, Double(kilohertz) * 1000, labelValues: cpu.cpuLabels)
            }
        }
        addGovernors(cpu, into: &sink)
    }

    /// Reads a kHz attribute; nil when the kernel prints `<unknown>`, which `cpuinfo_cur_freq` does
    /// when the driver cannot read the hardware frequency.
    private func readKilohertz(_ path: String, settled: Bool) throws -> UInt64? {
        // Digits are converted from the bytes, which spares making a `String` of each value.
        // `ASCIIFields.unsigned` accepts exactly what `UInt64(_:)` accepts, and other text, such
        // as `<unknown>`, goes on to the text checks below.
        let bytes: [UInt8]
        switch try AttributeBytes.read(path, from: reader.fileSystem, settled: settled, parsing: ASCIIFields.unsigned) {
        case .parsed(let value):
            return value
        case .unparsed(let unparsed):
            bytes = unparsed
        }

        let text = Text.attributeString(bytes)
        if text == "<unknown>" {
            return nil
        }
        guard let value = UInt64(text) else {
            throw ParseError(path: path, expected: "a frequency in kHz", content: text)
        }
        return value
    }

    /// Adds one series per available governor, as node_exporter releases after 1.5 do.
    private func addGovernors(_ cpu: CpufreqCPUPaths, into sink: inout MetricSink) {
        guard let current = reader.readOrRecord(cpu.governor, into: &sink, reader.string),
              !current.isEmpty
        else { return }

        // The list changes only when a governor module is loaded or unloaded.
        let available = reader.readOrRecord(cpu.availableGovernors, into: &sink, reader.settledString)
        for (labels, value) in cpu.governors.series(available: available, current: current, cpu: cpu.cpu) {
            sink.add(CpufreqCollector.governor, value, labelValues: labels)
        }
    }
}

/// The attribute paths of one CPU's `cpuN/cpufreq` directory.
///
/// ``CpufreqCollector`` keeps them in a ``ListingPlan``, because building the
/// paths on every sample cost nearly a quarter of the collector's instructions (callgrind, RK3588
/// fixture).
struct CpufreqCPUPaths {
    /// The CPU number, the `cpu` label value.
    let cpu: String
    /// `[cpu]`, the label values of the frequency series, built once.
    let cpuLabels: [String]
    let directory: String
    /// Paths of ``CpufreqCollector/frequencyAttributes``, in that order.
    let frequencies: [String]
    let governor: String
    let availableGovernors: String

    init(entry: String, cpuDirectory: String) {
        cpu = String(entry.dropFirst(3))
        cpuLabels = [cpu]
        directory = cpuDirectory + "/" + entry + "/cpufreq"
        frequencies = CpufreqCollector.frequencyAttributes.map { [directory] in directory + "/" + $0.file }
        governor = directory + "/scaling_governor"
        availableGovernors = directory + "/scaling_available_governors"
    }

    let governors = CpufreqGovernorSeries()
}

/// The governor series of one CPU for the last governor files read, kept while both stay the same.
///
/// Parsing `scaling_available_governors` and building a label array per governor cost about
/// 5 000 instructions per CPU and sample (callgrind, RK3588 test tree).
final class CpufreqGovernorSeries {
    private var available: String?
    private var current = ""
    private var series: [(labels: [String], value: Double)] = []

    /// Returns the label values and value of each governor series: one per available governor,
    /// plus `current` when the list lacks it, valued 1 for `current` and 0 for the others.
    /// `available` is nil when the file is absent or failed to read.
    func series(available: String?, current: String, cpu: String) -> [(labels: [String], value: Double)] {
        if available == self.available, current == self.current, !series.isEmpty {
            return series
        }

        var names = available.map(CpufreqParser.parseList) ?? []
        if !names.contains(current) {
            names.append(current)
        }
        self.available = available
        self.current = current
        series = names.map { name in ([cpu, name], name == current ? 1 : 0) }
        return series
    }
}
