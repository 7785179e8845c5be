import EmberCore

/// Stores the `power` collector's totals and the board's fitted correction in the
/// ``CounterLedger``, so they survive a restart.
///
/// Energy is kept in microjoules and carbon in micrograms, because the ledger counts in integers.
/// These totals are integrated by Ember rather than read from a kernel counter, so they have no raw
/// value (it is saved as 0) and continue from the saved total after a restart or a reboot alike.
///
/// The correction is a signed number of watts, so its entry keeps the bits of the `Double` as the
/// total. Restored, the online fit continues from it instead of from 0, where it needed several
/// time constants of the fit to converge again.
extension PowerCounterState {
    private static let microunits = 1_000_000.0

    /// Returns the energy and carbon totals saved in `ledger`.
    public static func restored(from ledger: CounterLedger) -> PowerCounterState {
        var state = PowerCounterState()
        for (labels, saved) in ledger.restoredSeries(family: PowerFamilies.energy.name) {
            guard let series = series(labels) else { continue }
            state.energyJoules[series] = Double(saved.total) / microunits
        }
        for (labels, saved) in ledger.restoredSeries(family: PowerFamilies.carbon.name) {
            guard let series = series(labels) else { continue }
            state.carbonGrams[series] = Double(saved.total) / microunits
        }
        for (_, saved) in ledger.restoredSeries(family: PowerFamilies.modelCorrection.name) {
            let watts = Double(bitPattern: saved.total)
            // A corrupt entry must not skew every later estimate: the fit starts from 0 instead.
            if watts.isFinite {
                state.boardCorrectionWatts = watts
            }
        }
        return state
    }

    /// Records the totals in `ledger` for the next save.
    func record(in ledger: CounterLedger) {
        for (series, joules) in energyJoules {
            ledger.update(Self.key(PowerFamilies.energy, series), total: Self.micro(joules), raw: 0)
        }
        for (series, grams) in carbonGrams {
            ledger.update(Self.key(PowerFamilies.carbon, series), total: Self.micro(grams), raw: 0)
        }
        ledger.update(Self.correctionKey, total: boardCorrectionWatts.bitPattern, raw: 0)
    }

    private static let correctionKey = Sample.seriesKey(name: PowerFamilies.modelCorrection.name, labelValues: ["board"])

    private static func series(_ labels: [String]) -> PowerSeries? {
        guard labels.count == 2, let source = PowerSource(rawValue: labels[1]) else { return nil }
        return PowerSeries(domain: labels[0], source: source)
    }

    private static func key(_ family: MetricDescriptor, _ series: PowerSeries) -> String {
        Sample.seriesKey(name: family.name, labelValues: [series.domain, series.source.rawValue])
    }

    private static func micro(_ value: Double) -> UInt64 {
        UInt64(max(0, (value * microunits).rounded()))
    }
}
