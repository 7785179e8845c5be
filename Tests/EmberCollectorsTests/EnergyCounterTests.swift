@testable import EmberCollectors
import EmberCore
import XCTest

final class EnergyCounterTests: XCTestCase {
    func testWrapAtKnownRange() {
        var counter = EnergyCounter()
        counter.update(raw: 262_143_000_000, maxRangeMicrojoules: 262_143_328_850)

        let added = counter.update(raw: 1_000_000, maxRangeMicrojoules: 262_143_328_850)

        // 262143328850 − 262143000000 = 328850 µJ up to the wrap, then 1000000 µJ after it.
        XCTAssertEqual(added, 1_328_850)
        XCTAssertEqual(counter.totalMicrojoules, 262_143_000_000 + 1_328_850)
    }

    func testDecreaseWithoutRangeIsResetAndSkipped() {
        var counter = EnergyCounter()
        counter.update(raw: 262_143_000_000, maxRangeMicrojoules: nil)

        let added = counter.update(raw: 1_000_000, maxRangeMicrojoules: nil)

        XCTAssertNil(added)
        XCTAssertEqual(counter.totalMicrojoules, 262_143_000_000)
        let resumed = counter.update(raw: 1_500_000, maxRangeMicrojoules: nil)
        XCTAssertEqual(resumed, 500_000, "counting resumes after a reset")
    }

    func testDecreaseBelowRangeCheckIsReset() {
        // A previous value above the stated range cannot be a wrap of that range.
        XCTAssertNil(EnergyCounter.delta(from: 500, to: 10, range: 400))
    }

    func testSeededCounterStartsFromSeed() {
        var counter = EnergyCounter(startingAtMicrojoules: 7_000_000)
        counter.update(raw: 262_143_000_000, maxRangeMicrojoules: 262_143_328_850)
        counter.update(raw: 1_000_000, maxRangeMicrojoules: 262_143_328_850)

        XCTAssertEqual(counter.totalMicrojoules, 7_000_000 + 1_328_850)
        XCTAssertEqual(counter.totalJoules, 8.32885, accuracy: 1e-9)
    }
}

final class RaplAccumulatedCounterTests: XCTestCase {
    private func makeTree(energy: String, range: String?) throws -> HardwareTree {
        let tree = try HardwareTree()
        try tree.write("class/powercap/intel-rapl:0/name", "package-0\n")
        try tree.write("class/powercap/intel-rapl:0/energy_uj", energy)
        if let range {
            try tree.write("class/powercap/intel-rapl:0/max_energy_range_uj", range)
        }
        return tree
    }

    private func accumulated(_ sink: MetricSink) -> Double? {
        value(sink, "ember_rapl_energy_joules_total", ["zone": "package", "index": "0"])
    }

    func testAccumulatesAcrossWrap() throws {
        let tree = try makeTree(energy: "262143000000\n", range: "262143328850\n")
        let collector = RaplCollector(context: HardwareHarness.context(tree.roots))
        var first = MetricSink()
        try collector.update(into: &first)
        try tree.write("class/powercap/intel-rapl:0/energy_uj", "1000000\n")

        var second = MetricSink()
        try collector.update(into: &second)

        XCTAssertEqual(accumulated(first), 262_143.0)
        XCTAssertEqual(accumulated(second)!, 262_143.0 + 1.32885, accuracy: 1e-6)
        XCTAssertEqual(value(second, "node_rapl_package_joules_total"), 1.0, "node_rapl keeps the kernel's value")
        XCTAssertTrue(second.errors.isEmpty)
    }

    func testDecreaseWithoutRangeKeepsTotal() throws {
        let tree = try makeTree(energy: "262143000000\n", range: nil)
        let collector = RaplCollector(context: HardwareHarness.context(tree.roots))
        var first = MetricSink()
        try collector.update(into: &first)
        try tree.write("class/powercap/intel-rapl:0/energy_uj", "1000000\n")

        var second = MetricSink()
        try collector.update(into: &second)

        XCTAssertEqual(accumulated(second), 262_143.0)
    }

    func testSeedIsTheStartingTotal() throws {
        let tree = try makeTree(energy: "5000000\n", range: "262143328850\n")
        let path = tree.path("class/powercap/intel-rapl:0")
        let collector = RaplCollector(context: HardwareHarness.context(tree.roots), startingAt: [path: 9_000_000])
        var first = MetricSink()
        try collector.update(into: &first)
        try tree.write("class/powercap/intel-rapl:0/energy_uj", "6000000\n")

        var second = MetricSink()
        try collector.update(into: &second)

        XCTAssertEqual(accumulated(first), 9.0)
        XCTAssertEqual(accumulated(second), 10.0)
        XCTAssertEqual(collector.accumulatedMicrojoules, [path: 10_000_000])
    }
}
