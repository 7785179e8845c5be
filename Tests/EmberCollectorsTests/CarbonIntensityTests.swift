@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

final class CarbonIntensityFileTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "ember-carbon-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ content: String, to path: String) throws {
        // A rename gives a new inode, as a program that replaces the file atomically does.
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func intensity(_ sink: MetricSink) -> Double? {
        value(sink, "ember_carbon_intensity_grams_per_kilowatt_hour")
    }

    func testReplacedFileIsReadAgain() throws {
        let path = directory + "/intensity"
        try write("300\n", to: path)
        let harness = try PowerHarness(
            roots: Fixtures.roots("power/sensors"), options: ["collector.power.carbon-intensity-file": path])

        let first = try harness.run()
        try write(" 125.5 \n", to: path)
        let second = try harness.run()

        XCTAssertEqual(intensity(first), 300)
        XCTAssertEqual(intensity(second), 125.5)
    }

    func testBadFileKeepsLastValue() throws {
        let path = directory + "/intensity"
        try write("300\n", to: path)
        let harness = try PowerHarness(
            roots: Fixtures.roots("power/sensors"), options: ["collector.power.carbon-intensity-file": path])
        _ = try harness.run()

        try write("unknown\n", to: path)
        let bad = try harness.run()
        let again = try harness.run()

        XCTAssertEqual(intensity(bad), 300)
        XCTAssertEqual(HardwareHarness.errorPaths(bad), [path])
        XCTAssertTrue(again.errors.isEmpty, "an unchanged bad file is recorded once")
        XCTAssertEqual(harness.log.lines(containing: "carbon intensity file").count, 1)
    }

    func testNoValueBeforeFirstGoodFile() throws {
        let path = directory + "/intensity"
        let harness = try PowerHarness(
            roots: Fixtures.roots("power/sensors"), options: ["collector.power.carbon-intensity-file": path])

        let missing = try harness.run()
        try write("-4\n", to: path)
        let negative = try harness.run()
        try write("80\n", to: path)
        let good = try harness.run()

        XCTAssertNil(intensity(missing))
        XCTAssertEqual(missing.errors.count, 1, "a missing file is an error")
        XCTAssertNil(intensity(negative))
        XCTAssertNil(value(negative, "ember_carbon_grams_total"), "no carbon without an intensity")
        XCTAssertEqual(intensity(good), 80)
    }

    func testParseRejectsNonNumbers() {
        for text in ["", "abc", "nan", "inf", "-1", "12 g"] {
            XCTAssertThrowsError(try CarbonIntensitySource.parse(text, path: "f"), text)
        }
        XCTAssertEqual(try CarbonIntensitySource.parse("0\n", path: "f"), 0)
    }
}

final class EnergyAccumulatorTests: XCTestCase {
    private let series = PowerSeries(domain: "board", source: .model)

    func testTrapezoidOverMonotonicInterval() {
        var energy = EnergyAccumulator()

        XCTAssertEqual(energy.add(series, watts: 2, atNanoseconds: 1_000_000_000), 0, "a first reading adds nothing")
        energy.endRun()
        XCTAssertEqual(energy.add(series, watts: 4, atNanoseconds: 1_500_000_000), 1.5, "(2 + 4) / 2 × 0.5 s")
        energy.endRun()

        XCTAssertEqual(energy.totals[series], 1.5)
    }

    func testNegativePowerNeverCountsDown() {
        var energy = EnergyAccumulator(startingAt: [series: 10])
        energy.add(series, watts: -3, atNanoseconds: 0)
        energy.endRun()

        XCTAssertEqual(energy.add(series, watts: -1, atNanoseconds: 1_000_000_000), 0)
        XCTAssertEqual(energy.totals[series], 10)
    }

    func testRunWithoutReadingEndsSegment() {
        var energy = EnergyAccumulator(startingAt: [series: 10])
        energy.add(series, watts: 2, atNanoseconds: 0)
        energy.endRun()
        energy.endRun()

        XCTAssertEqual(energy.add(series, watts: 2, atNanoseconds: 2_000_000_000), 0)
        XCTAssertEqual(energy.totals[series], 10, "the seed stays and the gap adds nothing")
    }

    func testClockThatDidNotAdvanceAddsNothing() {
        var energy = EnergyAccumulator()
        energy.add(series, watts: 2, atNanoseconds: 5)
        energy.endRun()

        XCTAssertEqual(energy.add(series, watts: 2, atNanoseconds: 5), 0)
    }

    func testCarbonPerKilowattHour() {
        var carbon = CarbonAccumulator(startingAtGrams: 1)

        XCTAssertEqual(carbon.add(joules: 3_600_000, gramsPerKilowattHour: 250), 250)
        XCTAssertEqual(carbon.totalGrams, 251)
    }
}
