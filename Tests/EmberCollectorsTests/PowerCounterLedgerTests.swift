import EmberCore
import XCTest

@testable import EmberCollectors

/// The `power` collector's state through the counter ledger, as a restart saves and loads it.
final class PowerCounterLedgerTests: XCTestCase {
    private let correctionKey = Sample.seriesKey(name: "ember_power_model_correction_watts", labelValues: ["board"])

    private func restart(_ ledger: CounterLedger) -> CounterLedger {
        CounterLedger(restored: ledger.snapshot, bootID: "boot")
    }

    func testTotalsAndCorrectionSurviveRestart() {
        let battery = PowerSeries(domain: "BAT0", source: .powerSupply)
        let state = PowerCounterState(energyJoules: [battery: 1000], carbonGrams: [battery: 2], boardCorrectionWatts: -0.4375)
        let ledger = CounterLedger(bootID: "boot")

        state.record(in: ledger)

        XCTAssertEqual(PowerCounterState.restored(from: restart(ledger)), state)
    }

    func testNoSavedCorrectionStartsFromZero() {
        XCTAssertEqual(PowerCounterState.restored(from: CounterLedger()).boardCorrectionWatts, 0)
    }

    /// A corrupt entry would skew every later estimate, so the fit starts from 0 instead.
    func testNonFiniteCorrectionIsIgnored() {
        for bits in [Double.nan.bitPattern, Double.infinity.bitPattern, (-Double.infinity).bitPattern] {
            let ledger = CounterLedger(restored: [correctionKey: SavedCounter(total: bits, raw: 0, bootID: "boot")])

            XCTAssertEqual(PowerCounterState.restored(from: ledger).boardCorrectionWatts, 0)
        }
    }
}
