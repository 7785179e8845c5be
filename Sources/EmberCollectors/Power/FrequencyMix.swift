/// The share of a sampling interval that a cluster spent at each frequency.
///
/// Dynamic power is C × V² × f at each frequency, and V rises with f, so the power of the mean
/// frequency is below the mean power when the governor switches within the interval. Weighting
/// each frequency's power by its share avoids that bias.
struct FrequencyMix: Equatable {
    struct State: Equatable {
        let megahertz: Double
        /// The fraction of the interval at this frequency; the shares of a mix sum to 1.
        let share: Double
    }

    let states: [State]

    /// Returns a mix with the whole interval at one frequency, as `scaling_cur_freq` gives it.
    static func single(megahertz: Double) -> FrequencyMix {
        FrequencyMix(states: [State(megahertz: megahertz, share: 1)])
    }

    /// Returns the mix between two `time_in_state` readings, or nil when no time passed or a
    /// counter went backwards (the stats were reset). Frequencies missing from the older
    /// reading are left out, because the table changes only when the driver reloads it.
    static func between(_ old: [FrequencyResidency], _ new: [FrequencyResidency]) -> FrequencyMix? {
        var previousTicks: [UInt64: UInt64] = [:]
        for row in old {
            previousTicks[row.frequencyKilohertz] = row.ticks
        }

        var deltas: [(kilohertz: UInt64, ticks: UInt64)] = []
        for row in new {
            guard let before = previousTicks[row.frequencyKilohertz] else { continue }
            guard row.ticks >= before else { return nil }
            if row.ticks > before {
                deltas.append((row.frequencyKilohertz, row.ticks - before))
            }
        }

        let total = deltas.reduce(0) { $0 + $1.ticks }
        guard total > 0 else { return nil }
        return FrequencyMix(states: deltas.map { delta in
            State(megahertz: Double(delta.kilohertz) / 1000, share: Double(delta.ticks) / Double(total))
        })
    }

    /// The time-weighted mean frequency in MHz.
    var averageMegahertz: Double {
        states.reduce(0) { $0 + $1.megahertz * $1.share }
    }

    /// Returns Σ share × `value(f)` over the states, or nil when `value` has none for a state.
    func weightedSum(_ value: (Double) -> Double?) -> Double? {
        var sum = 0.0
        for state in states {
            guard let stateValue = value(state.megahertz) else { return nil }
            sum += state.share * stateValue
        }
        return sum
    }
}
