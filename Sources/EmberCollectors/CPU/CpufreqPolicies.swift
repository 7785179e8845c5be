import EmberCore

/// Per-policy families from `devices/system/cpu/cpufreq/policyN`: one policy covers the CPUs
/// that share a clock (`related_cpus`), such as one cluster of an RK3588.
extension CpufreqCollector {
    static let policyInfo = MetricDescriptor(
        "ember_cpufreq_policy_info", "A cpufreq policy, the CPUs it clocks and its driver; always 1.",
        labels: ["policy", "related_cpus", "driver"])
    static let timeInState = MetricDescriptor(
        "ember_cpufreq_time_in_state_seconds_total",
        "Seconds the policy's CPUs ran at each frequency since the stats were last reset (stats/time_in_state).",
        type: .counter, labels: ["policy", "frequency_hertz"])
    static let transitions = MetricDescriptor(
        "ember_cpufreq_transitions_total", "Frequency changes of the policy (stats/total_trans).",
        type: .counter, labels: ["policy"])
    static let averageFrequency = MetricDescriptor(
        "ember_cpufreq_average_frequency_hertz",
        "Time-weighted average frequency between the last two samples, from time_in_state, in hertz.",
        labels: ["policy"])
    static let availableFrequency = MetricDescriptor(
        "ember_cpufreq_available_frequency_info",
        "A frequency the policy's driver offers (scaling_available_frequencies); always 1.",
        labels: ["policy", "frequency_hertz"])

    func addPolicies(into sink: inout MetricSink) throws {
        let root = reader.roots.sys("devices/system/cpu/cpufreq")
        let entries = try policyEntries.entries(of: root, reader: reader)
        var seen: Set<String> = []
        for policy in policies.values(for: entries, { CpufreqPolicyPaths(policy: $0, root: root) }) {
            addPolicy(policy, into: &sink)
            seen.insert(policy.policy)
        }
        previousResidency = previousResidency.filter { seen.contains($0.key) }
    }

    private func addPolicy(_ paths: CpufreqPolicyPaths, into sink: inout MetricSink) {
        let policy = paths.policy
        // An absent scaling_driver is an empty label, but a failed read omits the series. The
        // CPUs, driver and frequency table of a policy change only when the driver is loaded again.
        if let related = reader.readOrRecord(paths.relatedCPUs, into: &sink, reader.settledString),
           let driver = sink.attempt({ try reader.optionalSettledString(paths.driver) }) {
            sink.add(CpufreqCollector.policyInfo, 1, policy, related, driver ?? "")
        }

        let frequencies = reader.readOrRecord(paths.availableFrequencies, into: &sink) { path in
            try CpufreqParser.parseFrequencies(reader.settledString(path), path: path)
        }
        for kilohertz in frequencies ?? [] {
            sink.add(CpufreqCollector.availableFrequency, 1, policy, Self.hertzLabel(kilohertz: kilohertz))
        }

        if let count = reader.readOrRecord(paths.transitions, into: &sink, reader.unsigned) {
            sink.add(CpufreqCollector.transitions, Double(count), policy)
        }
        addResidency(policy, path: paths.timeInState, into: &sink)
    }

    /// Returns the decimal hertz of a kHz value for a `frequency_hertz` label. The digits are
    /// written, not multiplied, because any 64-bit kHz value is valid in the file and one above
    /// UInt64.max / 1000 would trap in `kilohertz * 1000`.
    static func hertzLabel(kilohertz: UInt64) -> String {
        kilohertz == 0 ? "0" : String(kilohertz) + "000"
    }

    private func addResidency(_ policy: String, path: String, into sink: inout MetricSink) {
        guard let rows = reader.readOrRecord(path, into: &sink, { path in
            try CpufreqParser.parseTimeInState(reader.string(path), path: path)
        }) else {
            previousResidency[policy] = nil
            return
        }

        for row in rows {
            let hertz = Self.hertzLabel(kilohertz: row.frequencyKilohertz)
            sink.add(CpufreqCollector.timeInState, Double(row.ticks) / ticksPerSecond, policy, hertz)
        }
        if let old = previousResidency[policy], let kilohertz = CpufreqParser.averageFrequency(from: old, to: rows) {
            sink.add(CpufreqCollector.averageFrequency, kilohertz * 1000, policy)
        }
        previousResidency[policy] = rows
    }
}

/// The attribute paths of one policy directory, `cpufreq/policyN`.
struct CpufreqPolicyPaths {
    /// The directory name, `policy0`, which is the `policy` label value.
    let policy: String
    let relatedCPUs: String
    let driver: String
    let availableFrequencies: String
    let transitions: String
    let timeInState: String

    init(policy: String, root: String) {
        self.policy = policy
        let directory = root + "/" + policy
        relatedCPUs = directory + "/related_cpus"
        driver = directory + "/scaling_driver"
        availableFrequencies = directory + "/scaling_available_frequencies"
        transitions = directory + "/stats/total_trans"
        timeInState = directory + "/stats/time_in_state"
    }
}
