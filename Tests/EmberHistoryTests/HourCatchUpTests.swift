import EmberCore
import XCTest

@testable import EmberHistory

/// After a crash the hour tiers come back from their last hourly save and the minute tier from the
/// last flush. Loading rebuilds the hour buckets since that save from the minute buckets.
final class HourCatchUpTests: XCTestCase {
    /// On an hour boundary: 1 800 000 000 s is hour 500 000.
    private let start = 1_800_000_000.0
    private let temperature = MetricDescriptor("node_thermal_zone_temp", "t", labels: ["zone"])
    private let received = MetricDescriptor("node_network_receive_bytes_total", "b", type: .counter, labels: ["device"])
    private let temperatureKey = "node_thermal_zone_temp\u{1}0"
    private let receivedKey = "node_network_receive_bytes_total\u{1}eth0"

    /// Records one sample of each series per second, for seconds `seconds` after `start`.
    private func record(_ history: History, seconds: Range<Int>) {
        for second in seconds {
            history.record(Snapshot(
                sequence: UInt64(second + 1), wallTime: start + Double(second),
                monotonicNanoseconds: 5_000_000_000 + UInt64(second) * 1_000_000_000,
                samples: [Sample(temperature, 40 + Double(second % 7), labelValues: ["0"]),
                          Sample(received, Double(second * 10), labelValues: ["eth0"])],
                collectors: []))
        }
    }

    /// Returns a history restored from the minute tier of `latest` and the hour tiers of `hourly`,
    /// as the files of a crashed agent contain them.
    private func restore(minutesOf latest: History, hoursOf hourly: [PersistedState.Tier]) -> History {
        let restored = History(HistoryConfiguration())
        restored.restore(latest.persistedFamilies)
        XCTAssertEqual(restored.restore([latest.persisted(latest.minute)] + hourly), [])
        return restored
    }

    private func hourlySave(_ history: History) -> [PersistedState.Tier] {
        [history.persisted(history.hour), history.persisted(history.hourMaximum)]
    }

    private func buckets(_ tier: HistoryTier, _ key: String) throws -> [(bucket: Int64, values: [Double])] {
        var result: [(bucket: Int64, values: [Double])] = []
        try tier.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: true) { result.append(($0, $1.array)) }
        return result
    }

    private func assertSameBuckets(_ tier: KeyPath<History, HistoryTier>, _ key: String, _ restored: History, _ original: History,
                                   line: UInt = #line) throws {
        let got = try buckets(restored[keyPath: tier], key)
        let expected = try buckets(original[keyPath: tier], key)
        XCTAssertEqual(got.map(\.bucket), expected.map(\.bucket), line: line)
        XCTAssertEqual(got.map(\.values), expected.map(\.values), line: line)
    }

    func testCrashWithinHour() throws {
        let original = History(HistoryConfiguration())
        record(original, seconds: 0..<300)
        let hourly = hourlySave(original)
        record(original, seconds: 300..<2000)

        let restored = restore(minutesOf: original, hoursOf: hourly)
        XCTAssertEqual(try buckets(restored.hour, temperatureKey).last?.values[4], 300, "as of the hourly save")

        XCTAssertEqual(try restored.catchUpHoursFromMinutes(), 2)

        let hour = try buckets(restored.hour, temperatureKey)
        XCTAssertEqual(hour.count, 1)
        let sum = (0..<2000).reduce(0) { (total: Int, second: Int) in total + 40 + second % 7 }
        XCTAssertEqual(hour[0].values, [40, 46, Double(sum), Double(40 + 1999 % 7), 2000])
        XCTAssertEqual(try buckets(restored.hour, receivedKey)[0].values, [19_990, 19_990, 2000])
        XCTAssertEqual(try buckets(restored.hourMaximum, temperatureKey)[0].values, [46])
        for key in [temperatureKey, receivedKey] {
            try assertSameBuckets(\.hour, key, restored, original)
        }
        try assertSameBuckets(\.hourMaximum, temperatureKey, restored, original)
    }

    /// The hourly save still held the previous hour open: the catch-up closes it with every sample
    /// and opens the current one.
    func testCrashAfterHourClosed() throws {
        let original = History(HistoryConfiguration())
        record(original, seconds: 0..<3590)
        let hourly = hourlySave(original)
        record(original, seconds: 3590..<4200)

        let restored = restore(minutesOf: original, hoursOf: hourly)
        XCTAssertEqual(try restored.catchUpHoursFromMinutes(), 2)

        XCTAssertEqual(try buckets(restored.hour, temperatureKey).map(\.values.last), [3600, 600])
        for key in [temperatureKey, receivedKey] {
            try assertSameBuckets(\.hour, key, restored, original)
        }
        try assertSameBuckets(\.hourMaximum, temperatureKey, restored, original)

        // Samples after the restart join the rebuilt open bucket, and a counter's increase counts
        // from the last value the minutes held.
        record(original, seconds: 4200..<4300)
        record(restored, seconds: 4200..<4300)
        try assertSameBuckets(\.hour, receivedKey, restored, original)
    }

    /// After a clean stop every file was saved at once, and nothing changes.
    func testCleanStopChangesNothing() throws {
        let original = History(HistoryConfiguration())
        record(original, seconds: 0..<2000)
        let restored = restore(minutesOf: original, hoursOf: hourlySave(original))

        XCTAssertEqual(try restored.catchUpHoursFromMinutes(), 0)

        try assertSameBuckets(\.hour, temperatureKey, restored, original)
        try assertSameBuckets(\.hourMaximum, temperatureKey, restored, original)
    }

    /// A minute tier that lost its file has fewer samples than the hour tier, which is kept.
    func testFewerMinuteSamplesKeepTheHourBucket() throws {
        let original = History(HistoryConfiguration())
        record(original, seconds: 0..<600)
        let partialMinutes = History(HistoryConfiguration())
        record(partialMinutes, seconds: 500..<600)

        let restored = restore(minutesOf: partialMinutes, hoursOf: hourlySave(original))

        XCTAssertEqual(try restored.catchUpHoursFromMinutes(), 0)
        XCTAssertEqual(try buckets(restored.hour, temperatureKey).last?.values[4], 600)
    }

    func testFoldCombinesMinutesPerHour() {
        let minutes: [(bucket: Int64, values: PointValues)] = [
            (59, PointValues([1, 5, 9, 2, 3])), (60, PointValues([2, 4, 6, 3, 2])), (61, PointValues([0, 7, 7, 7, 1])),
        ]

        let hours = History.fold(minutes, minuteKind: .gauge, into: .gauge, minutesPerBucket: 60)
        XCTAssertEqual(hours.map(\.bucket), [0, 1])
        XCTAssertEqual(hours.map(\.values.array), [[1, 5, 9, 2, 3], [0, 7, 13, 7, 3]])

        let maxima = History.fold(minutes, minuteKind: .gauge, into: .maximum, minutesPerBucket: 60)
        XCTAssertEqual(maxima.map(\.values.array), [[5], [7]])

        let counter = History.fold([(-1, PointValues([10, 100, 60])), (0, PointValues([5, 105, 60]))],
                                   minuteKind: .counter, into: .counter, minutesPerBucket: 60)
        XCTAssertEqual(counter.map(\.bucket), [-1, 0], "bucket numbers round down")
        XCTAssertEqual(counter.map(\.values.array), [[10, 100, 60], [5, 105, 60]])
    }
}
