import EmberCore
import EmberTestSupport
import XCTest

@testable import EmberCollectors

/// Accumulated counters seeded from a ``CounterLedger``, as after a restart.
final class CounterRestoreTests: XCTestCase {
    private func raplContext(_ tree: HardwareTree, ledger: CounterLedger) -> CollectorContext {
        let base = HardwareHarness.context(tree.roots)
        return CollectorContext(reader: base.reader, logger: base.logger, options: base.options, counters: ledger)
    }

    private func raplTree(microjoules: UInt64) throws -> HardwareTree {
        let tree = try HardwareTree()
        try tree.write("class/powercap/intel-rapl:0/name", "package-0\n")
        try tree.write("class/powercap/intel-rapl:0/energy_uj", "\(microjoules)\n")
        try tree.write("class/powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n")
        return tree
    }

    private func accumulatedJoules(_ collector: RaplCollector) throws -> Double? {
        var sink = MetricSink()
        try collector.update(into: &sink)
        return sink.samples.first { $0.descriptor.name == "ember_rapl_energy_joules_total" }?.value
    }

    private func key(_ tree: HardwareTree) -> String {
        Sample.seriesKey(name: "ember_rapl_energy_joules_total",
                         labelValues: ["package", "0", tree.path("class/powercap/intel-rapl:0")])
    }

    func testRaplContinuesSavedTotalInSameBoot() throws {
        let tree = try raplTree(microjoules: 5_000_000)
        let saved = SavedCounter(total: 100_000_000, raw: 4_000_000, bootID: "boot-1")
        let ledger = CounterLedger(restored: [key(tree): saved], bootID: "boot-1")
        let collector = RaplCollector(context: raplContext(tree, ledger: ledger))

        XCTAssertEqual(try accumulatedJoules(collector), 101, "saved 100 J plus 1 J since the save")
        XCTAssertEqual(ledger.snapshot[key(tree)], SavedCounter(total: 101_000_000, raw: 5_000_000, bootID: "boot-1"))
    }

    func testRaplAddsWholeCounterAfterReboot() throws {
        let tree = try raplTree(microjoules: 3_000_000)
        let saved = SavedCounter(total: 100_000_000, raw: 4_000_000, bootID: "boot-1")
        let ledger = CounterLedger(restored: [key(tree): saved], bootID: "boot-2")
        let collector = RaplCollector(context: raplContext(tree, ledger: ledger))

        XCTAssertEqual(try accumulatedJoules(collector), 103, "the kernel counted 3 J since the reboot")
    }

    func testCounterAccumulatorSeedContinuesAcrossWrap() {
        var accumulator = CounterAccumulator<String>()
        accumulator.seed("eth0", total: 10_000_000_000, lastRaw: 4_294_967_000)

        // The 32-bit kernel counter wrapped after the save.
        XCTAssertEqual(accumulator.update("eth0", raw: 704), 10_000_000_000 + 296 + 704)
    }

    func testUpdateSeedsOnlyNewKeys() {
        var accumulator = CounterAccumulator<String>()
        var seedCalls = 0
        let seed = { () -> (total: UInt64, lastRaw: UInt64)? in
            seedCalls += 1
            return (total: 1_000, lastRaw: 40)
        }

        XCTAssertEqual(accumulator.update("eth0", raw: 50, seedIfNew: seed), 1_010)
        XCTAssertEqual(accumulator.update("eth0", raw: 70, seedIfNew: seed), 1_030)
        XCTAssertEqual(seedCalls, 1, "a key with a total is not seeded again")
    }

    func testSeededKeyWithoutUpdateIsDropped() {
        var accumulator = CounterAccumulator<String>()
        accumulator.seed("eth0", total: 5, lastRaw: 5)
        _ = accumulator.update("eth1", raw: 1)

        XCTAssertEqual(accumulator.dropUnseen(), ["eth0"])
        XCTAssertFalse(accumulator.contains("eth0"))
        XCTAssertEqual(accumulator.update("eth1", raw: 3), 3, "eth1 was seen, so it keeps its total")
    }

    func testKeyNotUpdatedInRunIsDropped() {
        var accumulator = CounterAccumulator<String>()
        _ = accumulator.update("eth0", raw: 1)
        _ = accumulator.update("eth1", raw: 1)
        XCTAssertEqual(accumulator.dropUnseen().sorted(), [])

        _ = accumulator.update("eth1", raw: 2)

        XCTAssertEqual(accumulator.dropUnseen(), ["eth0"])
        XCTAssertEqual(accumulator.update("eth0", raw: 9), 9, "a dropped key starts again at the kernel's value")
    }

    func testLedgerForgetsRemovedCounters() {
        let ledger = CounterLedger(bootID: "b")
        ledger.update("a", total: 1, raw: 1)
        ledger.update("b", total: 2, raw: 2)

        ledger.remove("a")

        XCTAssertEqual(Array(ledger.snapshot.keys), ["b"])
    }
}
