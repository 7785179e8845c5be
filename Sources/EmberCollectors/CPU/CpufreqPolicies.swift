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
        var seen: Set<String> = []
        for policy in try reader.numberedSysfsEntries(root, prefix: "policy") {
            addPolicy(policy, directory: root + "/" + policy, into: &sink)
            seen.insert(policy)
        }
        previousResidency = previousResidency.filter { seen.contains($0.key) }
    }

    private func addPolicy(_ policy: String, directory: String, into sink: inout MetricSink) {
        // An absent scaling_driver is an empty label, but a failed read omits the series.
        if let related = reader.readOrRecord(directory + "/related_cpus", into: &sink, reader.string),
           let driver = sink.attempt({ try reader.optionalString(directory + "/scaling_driver") }) {
            sink.add(CpufreqCollector.policyInfo, 1, policy, related, driver ?? "")
        }

        let frequenciesPath = directory + "/scaling_available_frequencies"
        let frequencies = reader.readOrRecord(frequenciesPath, into: &sink) { path in
            try CpufreqParser.parseFrequencies(reader.string(path), path: path)
        }
        for kilohertz in frequencies ?? [] {
            sink.add(CpufreqCollector.availableFrequency, 1, policy, String(kilohertz * 1000))
        }

        if let count = reader.readOrRecord(directory + "/stats/total_trans", into: &sink, reader.unsigned) {
            sink.add(CpufreqCollector.transitions, Double(count), policy)
        }
        addResidency(policy, path: directory + "/stats/time_in_state", into: &sink)
    }

    private func addResidency(_ policy: String, path: String, into sink: inout MetricSink) {
        guard let rows = reader.readOrRecord(path, into: &sink, { path in
            try CpufreqParser.parseTimeInState(reader.string(path), path: path)
        }) else {
            previousResidency[policy] = nil
            return
        }

        for row in rows {
            let hertz = String(row.frequencyKilohertz * 1000)
            sink.add(CpufreqCollector.timeInState, Double(row.ticks) / ticksPerSecond, policy, hertz)
        }
        if let old = previousResidency[policy], let kilohertz = CpufreqParser.averageFrequency(from: old, to: rows) {
            sink.add(CpufreqCollector.averageFrequency, kilohertz * 1000, policy)
        }
        previousResidency[policy] = rows
    }
}
