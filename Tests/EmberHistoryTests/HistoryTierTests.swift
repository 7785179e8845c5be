import EmberCore
import XCTest

@testable import EmberHistory

final class HistoryTierTests: XCTestCase {
    private func buckets(_ tier: HistoryTier, _ key: String, includeOpen: Bool = false) throws -> [(Int64, [Double])] {
        var result: [(Int64, [Double])] = []
        try tier.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: includeOpen) {
            result.append(($0, $1.array))
        }
        return result
    }

    func testGaugeBucketAggregates() throws {
        let tier = HistoryTier(name: "minute", widthSeconds: 60, capacity: 10)
        for (second, value) in [(0, 40.5), (20, 42.25), (59, 41.0), (60, 39.0)] {
            tier.add("t", kind: .gauge, value: value, atSeconds: Double(6000 + second), long: false)
        }

        let stored = try buckets(tier, "t", includeOpen: true)

        XCTAssertEqual(stored.map(\.0), [100, 101])
        XCTAssertEqual(stored[0].1, [40.5, 42.25, 123.75, 41.0, 3])
        XCTAssertEqual(stored[1].1, [39, 39, 39, 39, 1])
    }

    func testCounterIncreaseHandlesReset() throws {
        let tier = HistoryTier(name: "minute", widthSeconds: 60, capacity: 10)
        // 100 → 160, reset to 0 and up to 25, then 40: increase 60 + 25 + 15.
        for (second, value) in [(0, 100.0), (10, 160), (20, 0), (30, 25), (70, 40)] {
            tier.add("c", kind: .counter, value: value, atSeconds: Double(second), long: false)
        }
        tier.advance(toSeconds: 130)

        let stored = try buckets(tier, "c")

        XCTAssertEqual(stored.map(\.0), [0, 1])
        XCTAssertEqual(stored[0].1, [85, 25, 4], "increase, last, count")
        XCTAssertEqual(stored[1].1, [15, 40, 1])
    }

    func testCounterGapLeavesNoBuckets() throws {
        let tier = HistoryTier(name: "minute", widthSeconds: 60, capacity: 100)
        tier.add("c", kind: .counter, value: 10, atSeconds: 0, long: false)
        // The agent was stopped for an hour.
        tier.add("c", kind: .counter, value: 70, atSeconds: 3600, long: false)
        tier.advance(toSeconds: 3660)

        let stored = try buckets(tier, "c")

        XCTAssertEqual(stored.map(\.0), [0, 60])
        XCTAssertEqual(stored[1].1, [60, 70, 1], "the increase over the gap goes to the first bucket after it")
    }

    func testEarlierTimeJoinsRestoredBucket() throws {
        let tier = HistoryTier(name: "minute", widthSeconds: 60, capacity: 100)
        var ring = CompressedRing(capacity: 100, fieldCount: 5)
        ring.append(time: 500, values: PointValues([1, 1, 1, 1, 1]))
        try tier.restore(PersistedState.Series(key: "t", kind: .gauge, chunks: ring.chunks, open: nil), long: false)

        // The wall clock stepped back an hour between two runs.
        tier.add("t", kind: .gauge, value: 7, atSeconds: 500 * 60 - 3600, long: false)
        tier.advance(toSeconds: 502 * 60)

        let stored = try buckets(tier, "t")
        XCTAssertEqual(stored.map(\.0), [500, 501])
        XCTAssertEqual(stored[1].1, [7, 7, 7, 7, 1])
    }

    func testVanishedSeriesIsDroppedAfterRetention() {
        let tier = HistoryTier(name: "minute", widthSeconds: 60, capacity: 5)
        tier.add("t", kind: .gauge, value: 1, atSeconds: 0, long: false)
        tier.advance(toSeconds: 60)
        XCTAssertEqual(tier.seriesCount, 1)

        tier.advance(toSeconds: 6 * 60)

        XCTAssertEqual(tier.seriesCount, 0)
    }

    func testLongSeriesUseLongCapacity() throws {
        let tier = HistoryTier(name: "hour", widthSeconds: 3600, capacity: 3, longCapacity: 10)
        for hour in 0..<20 {
            tier.add("short", kind: .gauge, value: Double(hour), atSeconds: Double(hour * 3600), long: false)
            tier.add("long", kind: .gauge, value: Double(hour), atSeconds: Double(hour * 3600), long: true)
        }
        tier.advance(toSeconds: 20 * 3600)

        XCTAssertEqual(try buckets(tier, "short").map(\.0), [17, 18, 19])
        XCTAssertEqual(try buckets(tier, "long").map(\.0), Array(10...19))
    }

    func testHealthFamiliesAreLongLived() {
        let long = [
            "node_hwmon_temp_celsius", "node_thermal_zone_temp", "ember_nvme_percentage_used_ratio",
            "ember_mmc_pre_eol_level", "ember_block_io_errors_total", "ember_ext4_errors_total",
            "ember_filesystem_forced_readonly", "ember_rapl_energy_joules_total", "ember_energy_joules_total",
        ]
        let short = ["node_cpu_seconds_total", "ember_network_receive_bytes_total", "ember_block_io_requests_total"]

        for name in long {
            XCTAssertTrue(History.isLongLived(family: name), name)
        }
        for name in short {
            XCTAssertFalse(History.isLongLived(family: name), name)
        }
    }

    func testHistoryIgnoresBackwardWallClockStep() throws {
        let history = History(HistoryConfiguration())
        let descriptor = MetricDescriptor("node_thermal_zone_temp", "t", labels: ["zone"], windowUnit: "celsius")
        let sample = { (value: Double) in Sample(descriptor, value, labelValues: ["0"]) }
        history.record(Snapshot(sequence: 1, wallTime: 6000, monotonicNanoseconds: 1_000_000_000,
                                samples: [sample(40)], collectors: []))
        // The wall clock jumps back a day, while the monotonic clock moves on by 60 s.
        history.record(Snapshot(sequence: 2, wallTime: 6060 - 86_400, monotonicNanoseconds: 61_000_000_000,
                                samples: [sample(41)], collectors: []))
        history.minute.advance(toSeconds: history.anchoredSeconds(121_000_000_000))

        let stored = try buckets(history.minute, sample(0).seriesKey)
        XCTAssertEqual(stored.map(\.0), [100, 101])
    }

    func testHistoryFollowsWallClockStepForward() throws {
        let history = History(HistoryConfiguration())
        let descriptor = MetricDescriptor("node_thermal_zone_temp", "t", labels: ["zone"], windowUnit: "celsius")
        let sample = { (value: Double) in Sample(descriptor, value, labelValues: ["0"]) }
        // A board without a real-time clock starts in 1970, then NTP sets the clock.
        history.record(Snapshot(sequence: 1, wallTime: 600, monotonicNanoseconds: 1_000_000_000,
                                samples: [sample(40)], collectors: []))
        history.record(Snapshot(sequence: 2, wallTime: 1_800_000_000, monotonicNanoseconds: 2_000_000_000,
                                samples: [sample(41)], collectors: []))
        history.minute.advance(toSeconds: history.anchoredSeconds(62_000_000_000))

        let stored = try buckets(history.minute, sample(0).seriesKey)
        // The bucket stamped 1970 is older than the retention once the clock is right, so it is dropped.
        XCTAssertEqual(stored.map(\.0), [30_000_000])
        XCTAssertEqual(stored.first?.1, [41, 41, 41, 41, 1])
    }

    /// Feeds 30 days at 1 Hz and compares every stored bucket with one computed directly.
    func testThirtyDaysMatchDirectComputation() throws {
        let minute = HistoryTier(name: "minute", widthSeconds: 60, capacity: 1440)
        let hour = HistoryTier(name: "hour", widthSeconds: 3600, capacity: 720)
        let days = 30
        var expectedMinute: [Int64: [Double]] = [:]
        var expectedHour: [Int64: [Double]] = [:]
        var counter = 0.0
        var previousCounter: Double?

        for second in 0..<(days * 86_400) {
            let seconds = Double(second)
            // A temperature in 0.001 °C steps with a daily cycle, and a 32-bit counter that wraps.
            let temperature = Double(45_000 + (second % 86_400) / 10 - (second * 7) % 513) / 1000
            counter = (counter + Double(1_000 + second % 977)).truncatingRemainder(dividingBy: 4_294_967_296)
            minute.add("temp", kind: .gauge, value: temperature, atSeconds: seconds, long: false)
            hour.add("temp", kind: .gauge, value: temperature, atSeconds: seconds, long: false)
            hour.add("bytes", kind: .counter, value: counter, atSeconds: seconds, long: false)

            let increase = previousCounter.map { counter >= $0 ? counter - $0 : counter } ?? 0
            previousCounter = counter
            if second >= (days - 1) * 86_400 {
                // Only the last day stays in the minute tier.
                accumulate(&expectedMinute, Int64(second / 60), gauge: temperature)
            }
            accumulate(&expectedHour, Int64(second / 3600), gauge: temperature)
            accumulate(&expectedHour, -Int64(second / 3600) - 1, counter: counter, increase: increase)
        }
        minute.advance(toSeconds: Double(days * 86_400))
        hour.advance(toSeconds: Double(days * 86_400))

        let minutes = try buckets(minute, "temp")
        XCTAssertEqual(minutes.count, 1440)
        for (bucket, values) in minutes {
            assertClose(values, expectedMinute[bucket]!, "minute \(bucket)")
        }
        let hours = try buckets(hour, "temp")
        XCTAssertEqual(hours.count, 720)
        for (bucket, values) in hours {
            assertClose(values, expectedHour[bucket]!, "hour \(bucket)")
        }
        let counterHours = try buckets(hour, "bytes")
        XCTAssertEqual(counterHours.count, 720)
        for (bucket, values) in counterHours {
            assertClose(values, expectedHour[-bucket - 1]!, "counter hour \(bucket)")
        }
    }

    private func accumulate(_ table: inout [Int64: [Double]], _ bucket: Int64, gauge value: Double) {
        var entry = table[bucket] ?? [.infinity, -.infinity, 0, 0, 0]
        entry[0] = min(entry[0], value)
        entry[1] = max(entry[1], value)
        entry[2] += value
        entry[3] = value
        entry[4] += 1
        table[bucket] = entry
    }

    private func accumulate(_ table: inout [Int64: [Double]], _ bucket: Int64, counter: Double, increase: Double) {
        var entry = table[bucket] ?? [0, 0, 0]
        entry[0] += increase
        entry[1] = counter
        entry[2] += 1
        table[bucket] = entry
    }

    private func assertClose(_ got: [Double], _ want: [Double], _ message: String) {
        XCTAssertEqual(got.count, want.count, message)
        for (a, b) in zip(got, want) {
            XCTAssertEqual(a, b, accuracy: max(1e-9, abs(b) * 1e-12), message)
        }
    }
}

extension HistoryTierTests {
    func testRestoreRejectsInvalidOpenBucket() {
        let tier = HistoryTier(name: "minute", widthSeconds: 60, capacity: 10)
        for count in [Double.nan, 0, -1, 1.5] {
            let saved = PersistedState.Series(
                key: "t", kind: .gauge, chunks: [], open: (bucket: 5, values: PointValues([1, 1, 1, 1, count])))

            XCTAssertThrowsError(try tier.restore(saved, long: false), "count \(count)")
        }
    }
}

extension HistoryTierTests {
    private func minuteHistory(minutes: Range<Int>, into history: History) {
        let descriptor = MetricDescriptor("node_thermal_zone_temp", "t", labels: ["zone"], windowUnit: "celsius")
        for minute in minutes {
            history.record(Snapshot(
                sequence: UInt64(minute + 1), wallTime: 1_800_000_000 + Double(minute * 60),
                monotonicNanoseconds: UInt64(minute + 1) * 60_000_000_000,
                samples: [Sample(descriptor, 40 + Double(minute % 9), labelValues: ["0"])], collectors: []))
        }
    }

    private func restored(_ parts: [PersistedState.Tier]) -> History {
        var configuration = HistoryConfiguration()
        configuration.minuteBuckets = 256
        let history = History(configuration)
        XCTAssertEqual(history.restore(parts), [])
        return history
    }

    func testSealedAndOpenPartsRestoreWholeTier() throws {
        var configuration = HistoryConfiguration()
        configuration.minuteBuckets = 256
        let history = History(configuration)
        minuteHistory(minutes: 0..<100, into: history)
        let key = "node_thermal_zone_temp\u{1}0"

        let copy = restored([history.persisted(history.minute, sealed: true),
                             history.persisted(history.minute, sealed: false)])

        XCTAssertEqual(history.minute.persistedSealed.first?.chunks.count, 1, "64-point chunks: one sealed")
        XCTAssertEqual(try buckets(copy.minute, key, includeOpen: true).map(\.1),
                       try buckets(history.minute, key, includeOpen: true).map(\.1))
    }

    func testStaleOpenPartAfterNewerChunksIsSkipped() throws {
        var configuration = HistoryConfiguration()
        configuration.minuteBuckets = 256
        let history = History(configuration)
        minuteHistory(minutes: 0..<50, into: history)
        let staleOpen = history.persisted(history.minute, sealed: false)
        minuteHistory(minutes: 50..<100, into: history)
        let key = "node_thermal_zone_temp\u{1}0"

        // A crash after the chunk file was saved and before the open part was.
        let copy = restored([history.persisted(history.minute, sealed: true), staleOpen])

        XCTAssertEqual(try buckets(copy.minute, key).map(\.0), Array(30_000_000..<30_000_064))
    }

    func testFirstSnapshotSizesTablesExactly() {
        let history = History(HistoryConfiguration())
        let descriptor = MetricDescriptor("node_thermal_zone_temp", "t", labels: ["zone"])
        let samples = (0..<1103).map { Sample(descriptor, 40, labelValues: ["\($0)"]) }

        history.record(Snapshot(sequence: 1, wallTime: 6000, monotonicNanoseconds: 1_000_000_000,
                                samples: samples, collectors: []))

        // Growth by an eighth would leave room for about 130 more. A table this large is a block of its
        // own pages, so malloc rounds it up by less than a 4 KiB page.
        let rawStride = MemoryLayout<CompressedRing>.stride
        let tierStride = MemoryLayout<HistoryTier.Series>.stride
        XCTAssertLessThanOrEqual(history.raw.seriesRings.values.capacity, 1103 + 4096 / rawStride)
        XCTAssertLessThanOrEqual(history.minute.series.values.capacity, 1103 + 4096 / tierStride)
        XCTAssertLessThanOrEqual(history.hour.series.values.capacity, 1103 + 4096 / tierStride)
        XCTAssertEqual(history.hour.seriesCount, 1103)
    }
}

