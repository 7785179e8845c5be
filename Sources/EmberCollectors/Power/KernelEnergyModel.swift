import EmberCore

/// One performance state of the kernel's energy model (debugfs `energy_model/cpuN/ps:FREQ`).
struct EnergyModelState: Equatable {
    let kilohertz: UInt64
    /// Power of one fully busy CPU at this state, in watts.
    let watts: Double
}

/// Reads the kernel's energy model from debugfs, the fallback for clusters whose device tree
/// gives no coefficient or whose voltage is unknown (firmware-provided models such as SCMI).
///
/// The `power` file is in microwatts since Linux 5.19 and in milliwatts before, so the unit
/// follows `/proc/sys/kernel/osrelease`. Without a readable release the model is not used.
struct KernelEnergyModel {
    let reader: SourceReader

    /// Returns the states of the performance domain whose first CPU is `cpu`, sorted by
    /// frequency, or nil when debugfs has no such domain.
    func states(firstCPU cpu: Int, sink: inout MetricSink) -> [EnergyModelState]? {
        let directory = reader.roots.debug("energy_model/cpu\(cpu)")
        guard let entries = reader.readOrRecord(directory, into: &sink, reader.entries), !entries.isEmpty,
              let wattsPerUnit = powerUnit(sink: &sink)
        else { return nil }

        var states: [EnergyModelState] = []
        for entry in entries where entry.hasPrefix("ps:") {
            let state = directory + "/" + entry
            guard let kilohertz = reader.readOrRecord(state + "/frequency", into: &sink, reader.unsigned),
                  let power = reader.readOrRecord(state + "/power", into: &sink, reader.unsigned)
            else { return nil }
            states.append(EnergyModelState(kilohertz: kilohertz, watts: Double(power) * wattsPerUnit))
        }
        return states.isEmpty ? nil : states.sorted { $0.kilohertz < $1.kilohertz }
    }

    /// Returns the power of one busy CPU at `megahertz`: that of the lowest state at or above it,
    /// else of the highest state, as ``OperatingPointTable/volts(atHertz:)`` chooses.
    static func watts(_ states: [EnergyModelState], atMegahertz megahertz: Double) -> Double? {
        let kilohertz = megahertz * 1000
        return (states.first { Double($0.kilohertz) >= kilohertz - 0.5 } ?? states.last)?.watts
    }

    /// Returns watts per unit of the `power` file for the running kernel's release.
    private func powerUnit(sink: inout MetricSink) -> Double? {
        let path = reader.roots.proc("sys/kernel/osrelease")
        guard let release = reader.readOrRecord(path, into: &sink, reader.string) else { return nil }
        let numbers = release.split(whereSeparator: { !isDecimalDigit($0) }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else {
            sink.record(ParseError(path: path, expected: "a kernel release such as 6.1.43", content: release))
            return nil
        }
        return (numbers[0], numbers[1]) >= (5, 19) ? 1e-6 : 1e-3
    }
}
