#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// Estimates the dynamic power of each CPU cluster (cpufreq policy) between two samples.
///
/// Inputs per cluster:
/// - C: the device tree's `dynamic-power-coefficient`.
/// - V: the cluster's regulator (by `cpu-supply`, else by name) when readable, else the OPP table.
/// - f: each frequency's share of the interval from `time_in_state`, else `scaling_cur_freq`.
/// - busy: each core's busy fraction from `/proc/stat` deltas.
///
/// Without C or V, the kernel's energy model in debugfs gives the power of a busy core instead.
/// The first run only records `/proc/stat` and gives no estimate.
struct CPUClusterEstimator {
    private let reader: SourceReader
    private let deviceTree: DeviceTreeReader
    private let logger: Logger
    private let memo: CycleMemo?
    private var facts: CPUDeviceTreeFacts?
    /// OPP tables by policy; a stored nil means the policy has none, so it is not looked up again.
    private var tables: [String: OperatingPointTable?] = [:]
    /// Kernel energy models by policy, read once unless permission was denied; a stored nil means
    /// debugfs has none.
    private var energyModels: [String: [EnergyModelState]?] = [:]
    private var regulators: RegulatorVoltages
    private var previousTimes: [String: CPUTimes] = [:]
    private var previousResidency: [String: [FrequencyResidency]] = [:]
    private var loggedGaps: Set<String> = []
    private var policyEntries = NumberedEntriesMemo(prefix: "policy")

    /// - Parameter memo: shares the read of /proc/stat with the CPU collector within a cycle.
    init(reader: SourceReader, logger: Logger, memo: CycleMemo? = nil) {
        self.reader = reader
        self.logger = logger
        self.memo = memo
        deviceTree = DeviceTreeReader(reader: reader)
        regulators = RegulatorVoltages(reader: reader)
    }

    /// The dynamic power of each cluster that has every input, keyed `cpu_policyN`, and whether
    /// every policy got one.
    struct Estimate {
        var clusters: [DomainEstimate] = []
        var complete = false
        /// The domain of every cpufreq policy, with or without an estimate.
        var policyDomains: [String] = []
    }

    mutating func estimate(sink: inout MetricSink) -> Estimate {
        guard let facts = loadFacts(sink: &sink) else { return Estimate() }
        let busy = readBusyFractions(sink: &sink)
        let root = reader.roots.sys("devices/system/cpu/cpufreq")
        guard let policies = sink.attempt({ try policyEntries.entries(of: root, reader: reader) }) else {
            return Estimate()
        }

        var results: [DomainEstimate] = []
        var inactive = 0
        for policy in policies {
            let directory = root + "/" + policy
            guard let online = readOnlineCPUs(directory, sink: &sink) else {
                inactive += 1
                continue
            }
            if let estimate = clusterWatts(
                policy, directory: directory, online: online, facts: facts, busy: busy, sink: &sink) {
                results.append(DomainEstimate(domain: "cpu_" + policy, watts: estimate.watts, method: estimate.method))
            }
        }
        let complete = !policies.isEmpty && results.count + inactive == policies.count
        return Estimate(clusters: results, complete: complete, policyDomains: policies.map { "cpu_" + $0 })
    }

    /// Reads the policy's online CPUs from `affected_cpus`. Returns nil for an inactive policy,
    /// and an empty list when the file is absent or the read failed (recorded), so that the
    /// cluster falls back to `related_cpus`.
    ///
    /// When every CPU of a cluster is offline, the kernel keeps the policy directory but reading
    /// its attributes fails with EBUSY. Such a cluster draws no dynamic power and gets no series,
    /// and the board estimate is complete without it.
    private func readOnlineCPUs(_ directory: String, sink: inout MetricSink) -> [Int]? {
        let path = directory + "/affected_cpus"
        do {
            return CpufreqParser.parseList(try reader.string(path)).compactMap { Int($0) }
        } catch let error as FileError where error.code == EBUSY {
            return nil
        } catch let error as FileError where error.isNotFound {
            return []
        } catch {
            sink.record(error)
            return []
        }
    }

    private mutating func loadFacts(sink: inout MetricSink) -> CPUDeviceTreeFacts? {
        if facts == nil {
            facts = sink.attempt { try CPUDeviceTreeFacts.read(deviceTree) }
        }
        return facts
    }

    /// Returns each CPU's busy fraction since the previous run, keyed by CPU number.
    private mutating func readBusyFractions(sink: inout MetricSink) -> [Int: Double] {
        let path = reader.roots.proc("stat")
        let memo = self.memo
        let read = { [reader] (path: String) throws -> ProcStat in try ProcStat.read(path, reader: reader, memo: memo) }
        guard let parsed = reader.readOrRecord(path, into: &sink, read) else { return [:] }

        parsed.errors.forEach { sink.record($0) }
        var fractions: [Int: Double] = [:]
        var current: [String: CPUTimes] = [:]
        for times in parsed.cpus {
            if let old = previousTimes[times.cpu], let ratio = CPUCollector.busyRatio(from: old, to: times),
               let cpu = Int(times.cpu) {
                fractions[cpu] = ratio
            }
            current[times.cpu] = times
        }
        previousTimes = current
        return fractions
    }

    /// Returns the cluster's dynamic power from C × V² × f, or from the kernel's energy model
    /// when the device tree lacks C or V; nil when an input is missing.
    private mutating func clusterWatts(
        _ policy: String, directory: String, online: [Int], facts: CPUDeviceTreeFacts, busy: [Int: Double],
        sink: inout MetricSink
    ) -> (watts: Double, method: EstimateMethod)? {
        let mix = readFrequencyMix(policy, directory: directory, sink: &sink)
        guard let related = readCPUList(directory + "/related_cpus", sink: &sink),
              let first = Int(policy.dropFirst("policy".count)), let mix
        else { return nil }

        // Offline CPUs stay in related_cpus but leave affected_cpus and /proc/stat, and draw no
        // dynamic power, so only the online ones are summed.
        let online = online.isEmpty ? related : online
        let fractions = online.compactMap { busy[$0] }
        guard fractions.count == online.count else { return nil }
        let busyCores = fractions.reduce(0, +)

        if let coefficient = facts.coefficient(forAnyOf: related),
           let perBusyCore = wattsPerBusyCore(policy, firstCPU: first, coefficient: coefficient, mix: mix,
                                              facts: facts, sink: &sink) {
            return (perBusyCore.watts * busyCores, perBusyCore.method)
        }
        if let states = energyModelStates(policy, firstCPU: first, sink: &sink),
           let perBusyCore = mix.weightedSum({ KernelEnergyModel.watts(states, atMegahertz: $0) }) {
            return (perBusyCore * busyCores, .energyModel)
        }
        noteGap(policy, "the device tree gives no dynamic-power-coefficient or voltage, and debugfs no energy model")
        return nil
    }

    /// Returns C × V² × f for one busy core: with the regulator's present voltage at the mean
    /// frequency, else with each frequency's OPP voltage, weighted by time at that frequency.
    private mutating func wattsPerBusyCore(
        _ policy: String, firstCPU: Int, coefficient: UInt32, mix: FrequencyMix, facts: CPUDeviceTreeFacts,
        sink: inout MetricSink
    ) -> (watts: Double, method: EstimateMethod)? {
        let power = { (volts: Double, megahertz: Double) in
            DynamicPowerModel.watts(DynamicPowerInput(
                coefficient: Double(coefficient), volts: volts, megahertz: megahertz, busyFractions: [1]))
        }
        if let volts = regulatorVolts(firstCPU: firstCPU, facts: facts, sink: &sink) {
            return (power(volts, mix.averageMegahertz), .regulatorVoltage)
        }
        guard let table = operatingPoints(policy, firstCPU: firstCPU, facts: facts, sink: &sink) else { return nil }
        let watts = mix.weightedSum { megahertz in
            table.volts(atHertz: megahertz * 1_000_000).map { power($0, megahertz) }
        }
        return watts.map { ($0, .oppVoltage) }
    }

    /// Returns the voltage of the regulator that supplies `firstCPU`: the one its `cpu-supply`
    /// phandle names, else the one ``SupplyRegulatorNames`` lists for the SoC.
    private mutating func regulatorVolts(firstCPU: Int, facts: CPUDeviceTreeFacts, sink: inout MetricSink) -> Double? {
        let name = SupplyRegulatorNames.table(compatible: facts.compatible)["cpu\(firstCPU)"]
        return regulators.volts(phandle: facts.supplies[firstCPU], named: name, sink: &sink)
    }

    /// Reads a policy's `related_cpus`, such as `4 5`; nil when absent or failed (recorded). The
    /// list is the cluster's and changes only when the driver is loaded again.
    private func readCPUList(_ path: String, sink: inout MetricSink) -> [Int]? {
        guard let text = reader.readOrRecord(path, into: &sink, reader.settledString) else { return nil }
        return CpufreqParser.parseList(text).compactMap { Int($0) }
    }

    private mutating func energyModelStates(_ policy: String, firstCPU: Int, sink: inout MetricSink)
        -> [EnergyModelState]? {
        if let cached = energyModels[policy] {
            return cached
        }

        // debugfs is root-only. A denied read is not cached, so each run reports the source as
        // unavailable again instead of only the first.
        let deniedBefore = sink.unavailableSources.count
        let states = KernelEnergyModel(reader: reader).states(firstCPU: firstCPU, sink: &sink)
        if states != nil || sink.unavailableSources.count == deniedBefore {
            energyModels[policy] = .some(states)
        }
        return states
    }

    /// Returns the policy's frequency mix since the last run from `time_in_state` when there is
    /// one, else `scaling_cur_freq` for the whole interval.
    private mutating func readFrequencyMix(_ policy: String, directory: String, sink: inout MetricSink)
        -> FrequencyMix? {
        let statsPath = directory + "/stats/time_in_state"
        let rows = reader.readOrRecord(statsPath, into: &sink) { path in
            try CpufreqParser.parseTimeInState(reader.string(path), path: path)
        }
        defer { previousResidency[policy] = rows }
        if let rows, let old = previousResidency[policy], let mix = FrequencyMix.between(old, rows) {
            return mix
        }

        let current = reader.readOrRecord(directory + "/scaling_cur_freq", into: &sink, reader.unsigned)
        return current.map { FrequencyMix.single(megahertz: Double($0) / 1000) }
    }

    /// Returns the OPP table of the policy's first CPU, loaded once.
    private mutating func operatingPoints(
        _ policy: String, firstCPU: Int, facts: CPUDeviceTreeFacts, sink: inout MetricSink
    ) -> OperatingPointTable? {
        guard firstCPU < facts.nodes.count else { return nil }
        if tables[policy] == nil {
            let loader = OperatingPointTableLoader(deviceTree: deviceTree)
            tables[policy] = .some(sink.attempt { try loader.table(for: facts.nodes[firstCPU]) } ?? nil)
        }
        return tables[policy] ?? nil
    }

    /// Logs once per reason why a cluster has no estimate, naming the first policy it hit, so a
    /// machine with a policy per CPU logs one line. A missing input is a property of the machine,
    /// not an error.
    private mutating func noteGap(_ policy: String, _ reason: String) {
        guard loggedGaps.insert(reason).inserted else { return }
        logger.info("no power estimate for CPU clusters", ("first_policy", policy), ("reason", reason))
    }
}
