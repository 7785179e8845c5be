import EmberCore
import XCTest

@testable import EmberHistory

/// A history saved through the state file format, restored in a new process, and continued after
/// the agent was stopped for an hour.
final class RestartGapTests: XCTestCase {
    private let start = 1_800_000_000.0
    private let temperature = MetricDescriptor("node_thermal_zone_temp", "t", labels: ["zone"])
    private let received = MetricDescriptor("node_network_receive_bytes_total", "b", type: .counter, labels: ["device"])
    private let temperatureKey = "node_thermal_zone_temp\u{1}0"
    private let receivedKey = "node_network_receive_bytes_total\u{1}eth0"

    /// Records one sample of each series per second, from `second` for `count` seconds.
    private func record(
        _ history: History, fromSecond second: Int, count: Int, monotonicBase: UInt64, counter: (Int) -> Double
    ) {
        for offset in 0..<count {
            let now = second + offset
            history.record(Snapshot(
                sequence: UInt64(offset + 1), wallTime: start + Double(now),
                monotonicNanoseconds: monotonicBase + UInt64(offset) * 1_000_000_000,
                samples: [Sample(temperature, 40 + Double(now % 5), labelValues: ["0"]),
                          Sample(received, counter(now), labelValues: ["eth0"])],
                collectors: []))
        }
    }

    /// Saves `history` as the agent does, decodes the bytes and restores them into a new history.
    private func restart(_ history: History) throws -> History {
        let state = PersistedState(
            machineID: "m", bootID: "b", savedAtSeconds: start, counters: [:], families: history.persistedFamilies,
            tiers: history.persistedTiers)
        let decoded = try StateFileFormat.decode(StateFileFormat.encode(state))

        let restored = History(HistoryConfiguration())
        restored.restore(decoded.families)
        XCTAssertEqual(restored.restore(decoded.tiers), [])
        return restored
    }

    private func minuteBuckets(_ history: History, _ key: String) throws -> [(Int64, [Double])] {
        var result: [(Int64, [Double])] = []
        try history.minute.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: true) {
            result.append(($0, $1.array))
        }
        return result
    }

    func testHourGapAfterRestartLeavesNoBuckets() throws {
        let first = History(HistoryConfiguration())
        // 2 minutes and 30 s at 1 Hz, with the counter growing 10 bytes a second.
        record(first, fromSecond: 0, count: 150, monotonicBase: 5_000_000_000) { Double($0 * 10) }

        let second = try restart(first)
        // One hour later, in the same boot: the kernel counter kept counting while the agent was stopped.
        record(second, fromSecond: 3750, count: 30, monotonicBase: 3_755_000_000_000) { Double($0 * 10) }

        let minute = start / 60
        let buckets = try minuteBuckets(second, temperatureKey)
        XCTAssertEqual(buckets.map { Double($0.0) - minute }, [0, 1, 2, 62])
        XCTAssertEqual(buckets[2].1[4], 30, "the saved open bucket resumed with its 30 samples")
        let counter = try minuteBuckets(second, receivedKey)
        XCTAssertEqual(counter.map { Double($0.0) - minute }, [0, 1, 2, 62])
        XCTAssertEqual(counter[3].1[0], 37_790 - 1490, "increase from the last saved value, over the gap")
        XCTAssertEqual(counter.reduce(0) { $0 + $1.1[0] }, 37_790, "the increases add up to the whole increase")
    }

    func testCounterResetByRebootDuringGap() throws {
        let first = History(HistoryConfiguration())
        record(first, fromSecond: 0, count: 150, monotonicBase: 5_000_000_000) { Double($0 * 10) }

        let second = try restart(first)
        // After a reboot the kernel counted again from zero, and the monotonic clock restarted.
        record(second, fromSecond: 3750, count: 30, monotonicBase: 20_000_000_000) { Double(($0 - 3700) * 10) }

        let counter = try minuteBuckets(second, receivedKey)
        XCTAssertEqual(counter.last?.1[0], 790, "a decrease is a reset: the first value counts from zero")
        XCTAssertEqual(counter.last?.1[1], 790)
        XCTAssertEqual(second.anchoredSeconds(20_000_000_000), start + 3750, "the new run's anchor")
    }

    func testRestoredTiersShareKeyStorage() throws {
        let first = History(HistoryConfiguration())
        record(first, fromSecond: 0, count: 150, monotonicBase: 5_000_000_000) { Double($0 * 10) }

        let second = try restart(first)
        record(second, fromSecond: 3750, count: 2, monotonicBase: 3_755_000_000_000) { Double($0 * 10) }

        // Both keys are longer than 15 bytes, so each copy of a key has storage of its own.
        for key in [temperatureKey, receivedKey] {
            let raw = try XCTUnwrap(second.raw.seriesRings.storedKey(key))
            let minute = try XCTUnwrap(second.minute.storedKey(key))
            let hour = try XCTUnwrap(second.hour.storedKey(key))
            XCTAssertEqual(storageAddress(minute), storageAddress(hour), key)
            XCTAssertEqual(storageAddress(raw), storageAddress(minute), key)
        }
        let maximum = try XCTUnwrap(second.hourMaximum.storedKey(temperatureKey))
        XCTAssertEqual(storageAddress(maximum), storageAddress(try XCTUnwrap(second.hour.storedKey(temperatureKey))))
    }

    func testFirstRunTiersShareKeyStorage() throws {
        let history = History(HistoryConfiguration())
        record(history, fromSecond: 0, count: 2, monotonicBase: 5_000_000_000) { Double($0 * 10) }

        let hour = try XCTUnwrap(history.hour.storedKey(temperatureKey))
        let maximum = try XCTUnwrap(history.hourMaximum.storedKey(temperatureKey))
        XCTAssertEqual(storageAddress(maximum), storageAddress(hour))
        XCTAssertEqual(history.hourMaximum.seriesKeys, [temperatureKey])
    }

    private func storageAddress(_ key: String) -> UnsafeRawPointer? {
        key.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }
}

