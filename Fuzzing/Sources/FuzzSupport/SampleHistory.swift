import EmberCore
import EmberExposition
import EmberHistory

/// A small history with a few series over 30 minutes, for the targets that fuzz the JSON API.
public enum SampleHistory {
    /// 2026-12-04T21:00:00Z, the wall time of the first snapshot.
    public static let startSeconds = 1_796_418_000.0

    /// Builds the history and the API over it, with a clock standing 30 minutes after the start.
    public static func makeAPI() -> HistoryAPI {
        HistoryAPI(history: SharedHistory(makeHistory()), clock: FixedClock(seconds: startSeconds + 1800))
    }

    /// Builds a history with a temperature and an energy counter sampled every 5 seconds for 30 minutes.
    public static func makeHistory() -> History {
        let history = History(HistoryConfiguration())
        let temperature = MetricDescriptor("node_thermal_zone_temp", "Zone temperature.", labels: ["type", "zone"],
                                           windowUnit: "celsius")
        let energy = MetricDescriptor("ember_cpu_energy_joules_total", "CPU energy.", type: .counter,
                                      labels: ["cluster"])
        for second in stride(from: 0, to: 1800, by: 5) {
            let samples = [
                Sample(temperature, 40 + Double(second % 60) / 10, labelValues: ["soc-thermal", "0"]),
                Sample(energy, Double(second) * 1.5, labelValues: ["big0"]),
            ]
            history.record(Snapshot(sequence: UInt64(second / 5 + 1), wallTime: startSeconds + Double(second),
                                    monotonicNanoseconds: UInt64(second) * 1_000_000_000, samples: samples,
                                    collectors: []))
        }
        return history
    }
}

/// A clock that always returns the same time, so a fuzz input gives the same response every run.
struct FixedClock: Clock {
    let seconds: Double

    func monotonicNanoseconds() -> UInt64 { 0 }

    func wallSeconds() -> Double { seconds }
}
