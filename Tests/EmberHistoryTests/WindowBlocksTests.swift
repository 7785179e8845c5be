import EmberCore
import XCTest

@testable import EmberHistory

/// Trailing-window aggregates from block summaries must match aggregates over the stored points.
final class WindowBlocksTests: XCTestCase {
    private let windowed = MetricDescriptor(
        "node_hwmon_temp_celsius", "Temperature.", labels: ["chip"], windowUnit: "celsius")
    private let plain = MetricDescriptor("node_hwmon_temp_celsius", "Temperature.", labels: ["chip"])

    private func snapshot(_ cycle: Int, _ samples: [Sample]) -> Snapshot {
        Snapshot(sequence: UInt64(cycle), wallTime: Double(cycle), monotonicNanoseconds: UInt64(1000 + cycle) * 1_000_000_000,
                 samples: samples, collectors: [])
    }

    /// Returns the aggregate computed from the stored points, as the window computed it before blocks.
    private func expected(_ history: RawHistory, _ key: String, windowSeconds: UInt64, now: UInt64) -> WindowAggregate? {
        let since = now - windowSeconds * 1_000_000_000 + 1
        let values = history.points(forSeries: key, since: since).map(\.value).filter { !$0.isNaN }
        guard !values.isEmpty else { return nil }
        return WindowAggregate(minimum: values.min()!, maximum: values.max()!,
                               average: values.reduce(0, +) / Double(values.count), count: values.count)
    }

    private func assertWindowsMatch(
        _ history: RawHistory, _ key: String, now: UInt64, file: StaticString = #filePath, line: UInt = #line
    ) {
        for window in [60, 900, 64, 127] as [UInt64] {
            let actual = history.aggregate(forSeries: key, windowSeconds: Double(window), now: now)
            let reference = expected(history, key, windowSeconds: window, now: now)
            XCTAssertEqual(actual?.minimum, reference?.minimum, "window \(window)", file: file, line: line)
            XCTAssertEqual(actual?.maximum, reference?.maximum, "window \(window)", file: file, line: line)
            XCTAssertEqual(actual?.count, reference?.count, "window \(window)", file: file, line: line)
            if window <= 64 {
                // Windows of up to 64 cycles sum the newest values in point order, exactly as the points.
                XCTAssertEqual(actual?.average, reference?.average, "window \(window)", file: file, line: line)
            } else {
                XCTAssertEqual(actual?.average ?? 0, reference?.average ?? 0, accuracy: 1e-9, "window \(window)",
                               file: file, line: line)
            }
        }
    }

    func testBlocksMatchPointsOverLongRun() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let key = Sample(windowed, 0, labelValues: ["soc"]).seriesKey
        var generator = SystemRandomNumberGenerator()

        for cycle in 1...2200 {
            // Every 37th cycle misses the read, and every 53rd value is NaN.
            var samples: [Sample] = []
            if cycle % 37 != 0 {
                let value = cycle % 53 == 0 ? Double.nan : Double(Int.random(in: 30_000...90_000, using: &generator)) / 1000
                samples.append(Sample(windowed, value, labelValues: ["soc"]))
            }
            let current = snapshot(cycle, samples)
            history.record(current)
            if cycle % 97 == 0 || cycle > 2150 {
                assertWindowsMatch(history, key, now: current.monotonicNanoseconds)
            }
        }
    }

    func testWindowUnitGainedMidway() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let key = Sample(windowed, 0, labelValues: ["soc"]).seriesKey

        for cycle in 1...400 {
            let descriptor = cycle < 150 || (cycle > 250 && cycle < 300) ? plain : windowed
            let current = snapshot(cycle, [Sample(descriptor, Double(cycle % 17), labelValues: ["soc"])])
            history.record(current)
            assertWindowsMatch(history, key, now: current.monotonicNanoseconds)
        }
    }

    func testSweepKeepsOtherSeriesBlocks() {
        let history = RawHistory(retentionSeconds: 60, intervalSeconds: 1)
        let remainingKey = Sample(windowed, 0, labelValues: ["kept"]).seriesKey

        for cycle in 1...300 {
            var samples = [Sample(windowed, Double(cycle), labelValues: ["kept"])]
            if cycle < 100 {
                samples.insert(Sample(windowed, -Double(cycle), labelValues: ["gone"]), at: 0)
            }
            let current = snapshot(cycle, samples)
            history.record(current)

            let aggregate = history.aggregate(
                forSeries: remainingKey, windowSeconds: 60, now: current.monotonicNanoseconds)
            XCTAssertEqual(aggregate?.maximum, Double(cycle), "cycle \(cycle)")
            XCTAssertEqual(aggregate?.minimum, Double(max(1, cycle - 59)), "cycle \(cycle)")
        }
        XCTAssertEqual(history.seriesCount, 1)
    }

    func testLongRunUsesBlocksAndRecentValues() throws {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let key = Sample(windowed, 0, labelValues: ["soc"]).seriesKey
        let plainKey = Sample(plain, 0, labelValues: ["gpu"]).seriesKey
        var now: UInt64 = 0
        for cycle in 1...1000 {
            let current = snapshot(cycle, [Sample(windowed, Double(cycle), labelValues: ["soc"]),
                                           Sample(plain, 1, labelValues: ["gpu"])])
            history.record(current)
            now = current.monotonicNanoseconds
        }

        let long = try XCTUnwrap(history.windowSource(forSeries: key, windowSeconds: 900, now: now))
        let short = try XCTUnwrap(history.windowSource(forSeries: key, windowSeconds: 60, now: now))
        let unwindowed = try XCTUnwrap(history.windowSource(forSeries: plainKey, windowSeconds: 900, now: now))

        guard case .blocks = long else { return XCTFail("15 m window decodes every point: \(long)") }
        guard case .recentValues = short else { return XCTFail("1 m window decodes points: \(short)") }
        guard case .points = unwindowed else { return XCTFail("series without window unit: \(unwindowed)") }
    }

    func testLateFirstPointUsesRecentValues() throws {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let lateKey = Sample(windowed, 0, labelValues: ["late"]).seriesKey
        let gainedKey = Sample(windowed, 0, labelValues: ["gained"]).seriesKey

        for cycle in 1...40 {
            // "late" has no point in cycles 1 to 4, "gained" gets its window unit at cycle 5.
            var samples = [Sample(cycle < 5 ? plain : windowed, Double(cycle % 7), labelValues: ["gained"])]
            if cycle >= 5 {
                samples.append(Sample(windowed, Double(cycle % 5) + 0.125, labelValues: ["late"]))
            }
            let current = snapshot(cycle, samples)
            history.record(current)
            assertWindowsMatch(history, lateKey, now: current.monotonicNanoseconds)
            assertWindowsMatch(history, gainedKey, now: current.monotonicNanoseconds)
        }

        let now = snapshot(40, []).monotonicNanoseconds
        let late = try XCTUnwrap(history.windowSource(forSeries: lateKey, windowSeconds: 60, now: now))
        let gained = try XCTUnwrap(history.windowSource(forSeries: gainedKey, windowSeconds: 60, now: now))

        guard case .recentValues = late else { return XCTFail("late series decodes points: \(late)") }
        guard case .points = gained else { return XCTFail("gained window unit skips older points: \(gained)") }
    }
}
