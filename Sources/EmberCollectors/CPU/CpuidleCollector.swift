import EmberCore

/// Exports how long each CPU spent in each idle state and how often it entered it, from
/// `devices/system/cpu/cpuN/cpuidle/stateK`, plus the cpuidle driver and governor.
///
/// node_exporter has no cpuidle collector, so the families are `ember_cpuidle_*`. The counters
/// carry the kernel's values, which start at boot and are 64 bits wide.
public final class CpuidleCollector: Collector {
    static let labels = ["cpu", "state"]
    static let time = MetricDescriptor(
        "ember_cpuidle_state_time_seconds_total", "Time the CPU spent in the idle state, in seconds.",
        type: .counter, labels: labels)
    static let usage = MetricDescriptor(
        "ember_cpuidle_state_usage_total", "Entries of the CPU into the idle state.", type: .counter, labels: labels)
    static let above = MetricDescriptor(
        "ember_cpuidle_state_above_total",
        "Entries into the idle state that ended before its target residency (the state was too deep).",
        type: .counter, labels: labels)
    static let below = MetricDescriptor(
        "ember_cpuidle_state_below_total",
        "Entries into the idle state that lasted long enough for a deeper state (the state was too shallow).",
        type: .counter, labels: labels)
    static let latency = MetricDescriptor(
        "ember_cpuidle_state_latency_seconds", "Worst-case exit latency of the idle state, in seconds.",
        labels: labels)
    static let targetResidency = MetricDescriptor(
        "ember_cpuidle_state_target_residency_seconds",
        "Minimum time in the idle state for it to save energy, in seconds.", labels: labels)
    static let disabled = MetricDescriptor(
        "ember_cpuidle_state_disabled", "1 when the idle state is disabled for the CPU, 0 when it may be used.",
        labels: labels)
    static let info = MetricDescriptor(
        "ember_cpuidle_info", "cpuidle driver and governor; value 1.", labels: ["driver", "governor"])

    private let reader: SourceReader
    private let cpuDirectory: String
    private var cpus = ListingPlan<CpuidleCPUPaths>()
    private var cpuEntries = NumberedEntriesMemo(prefix: "cpu")

    public init(context: CollectorContext) {
        reader = context.reader
        cpuDirectory = context.reader.roots.sys("devices/system/cpu")
    }

    public func update(into sink: inout MetricSink) throws {
        let entries = try cpuEntries.entries(of: cpuDirectory, reader: reader)
        for cpu in cpus.values(for: entries, { CpuidleCPUPaths(entry: $0, cpuDirectory: cpuDirectory) }) {
            guard let states = sink.attempt({ try cpu.stateEntries.entries(of: cpu.idleDirectory, reader: reader) })
            else {
                continue
            }
            collectCPU(cpu.cpu, states: cpu.states(states), into: &sink)
        }
        collectInfo(cpuDirectory + "/cpuidle", into: &sink)
    }

    private func collectCPU(_ cpu: String, states: [CpuidleStatePaths], into sink: inout MetricSink) {
        // A CPU has a handful of states, so a linear search costs less than hashing into a set.
        var seenNames: [String] = []
        seenNames.reserveCapacity(states.count)
        for paths in states {
            guard let state = CpuidleStateReading.read(paths, reader: reader, into: &sink) else {
                continue
            }
            // Drivers name states uniquely, but nothing enforces it, and a repeated name would repeat series.
            let isRepeated = seenNames.contains(state.name)
            seenNames.append(state.name)
            let label = isRepeated ? state.name + " (" + paths.entry + ")" : state.name
            add(state, labelValues: paths.labels.values(cpu, label), into: &sink)
        }
    }

    private func add(_ state: CpuidleStateReading, labelValues: [String], into sink: inout MetricSink) {
        let microsecondValues: [(UInt64?, MetricDescriptor)] = [
            (state.timeMicroseconds, Self.time), (state.latencyMicroseconds, Self.latency),
            (state.targetResidencyMicroseconds, Self.targetResidency),
        ]
        for case let (microseconds?, descriptor) in microsecondValues {
            sink.add(descriptor, Double(microseconds) / 1_000_000, labelValues: labelValues)
        }

        let countValues: [(UInt64?, MetricDescriptor)] = [
            (state.usage, Self.usage), (state.above, Self.above), (state.below, Self.below),
        ]
        for case let (count?, descriptor) in countValues {
            sink.add(descriptor, Double(count), labelValues: labelValues)
        }

        if let isDisabled = state.isDisabled {
            sink.add(Self.disabled, isDisabled ? 1 : 0, labelValues: labelValues)
        }
    }

    /// Adds the driver and governor. `current_governor_ro` is read first, and `current_governor` is
    /// the fallback for a kernel without it. Both change only when the administrator switches them.
    private func collectInfo(_ directory: String, into sink: inout MetricSink) {
        guard let driver = reader.readOrRecord(directory + "/current_driver", into: &sink, reader.settledString) else {
            return
        }
        let governor = reader.readOrRecord(directory + "/current_governor_ro", into: &sink, reader.settledString)
            ?? reader.readOrRecord(directory + "/current_governor", into: &sink, reader.settledString)
        guard let governor else { return }

        sink.add(Self.info, 1, driver, governor)
    }
}
