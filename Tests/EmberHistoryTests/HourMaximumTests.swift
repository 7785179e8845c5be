import EmberCore
import XCTest

@testable import EmberHistory

/// Temperatures keep full hour buckets for the hour retention and only each hour's maximum beyond
/// it. Other long-lived series keep full buckets for the long retention.
final class HourMaximumTests: XCTestCase {
    private static let start = 1_800_000_000.0
    /// Feed length: 12 days, longer than the 10-day long retention below.
    private static let hours = 288
    private static let step = 30

    private let temperature = MetricDescriptor("node_thermal_zone_temp", "t", labels: ["zone"], windowUnit: "celsius")
    private let wear = MetricDescriptor("ember_nvme_percentage_used_ratio", "w", labels: ["device"])
    private let energy = MetricDescriptor("ember_cpu_energy_joules_total", "e", type: .counter, labels: ["cluster"])
    private let load = MetricDescriptor("node_load1", "l")
    private let temperatureKey = "node_thermal_zone_temp\u{1}0"
    private let wearKey = "ember_nvme_percentage_used_ratio\u{1}nvme0"
    private let energyKey = "ember_cpu_energy_joules_total\u{1}big0"

    private static var configuration: HistoryConfiguration {
        var configuration = HistoryConfiguration()
        configuration.rawRetentionSeconds = 60
        configuration.intervalSeconds = Double(step)
        configuration.minuteBuckets = 10
        configuration.hourBuckets = 48
        configuration.longHourBuckets = 240
        return configuration
    }

    /// Returns the snapshot at `second`: a temperature on a 0.001 °C grid with a daily cycle and
    /// noise, a slowly rising wear ratio, an energy counter and a load average.
    private func snapshot(_ second: Int) -> Snapshot {
        let celsius = Double(45_000 + (second % 86_400) / 10 - (second * 7) % 513) / 1000
        let samples = [
            Sample(temperature, celsius, labelValues: ["0"]),
            Sample(wear, Double(second / 3600) / 100, labelValues: ["nvme0"]),
            Sample(energy, Double(second) * 2.5, labelValues: ["big0"]),
            Sample(load, Double(second % 700) / 100, labelValues: []),
        ]
        return Snapshot(sequence: UInt64(second / Self.step + 1), wallTime: Self.start + Double(second),
                        monotonicNanoseconds: UInt64(second + 1) * 1_000_000_000, samples: samples, collectors: [])
    }

    /// Feeds `hours` hours into a new history and returns it with each hour's full gauge aggregates
    /// of the temperature, computed directly: min, max, sum, last and count.
    private func filledHistory() -> (History, [Int64: [Double]]) {
        let history = History(Self.configuration)
        var expected: [Int64: [Double]] = [:]
        for second in stride(from: 0, to: Self.hours * 3600, by: Self.step) {
            let snapshot = snapshot(second)
            history.record(snapshot)
            let value = snapshot.samples[0].value
            let bucket = Int64((Self.start + Double(second)) / 3600)
            var entry = expected[bucket] ?? [.infinity, -.infinity, 0, 0, 0]
            entry = [min(entry[0], value), max(entry[1], value), entry[2] + value, value, entry[4] + 1]
            expected[bucket] = entry
        }
        return (history, expected)
    }

    private func buckets(_ tier: HistoryTier, _ key: String, includeOpen: Bool = true) throws -> [(Int64, [Double])] {
        var result: [(Int64, [Double])] = []
        try tier.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: includeOpen) {
            result.append(($0, $1.array))
        }
        return result
    }

    func testTemperatureKeepsFullHoursThenMaxima() throws {
        let (history, expected) = filledHistory()
        let newest = expected.keys.max()!

        let full = try buckets(history.hour, temperatureKey, includeOpen: false)
        XCTAssertEqual(full.map(\.0), Array((newest - 48)..<newest))
        for (bucket, values) in full {
            XCTAssertEqual(values[0], expected[bucket]![0], "min of hour \(bucket)")
            XCTAssertEqual(values[1], expected[bucket]![1], "max of hour \(bucket)")
            XCTAssertEqual(values[2], expected[bucket]![2], accuracy: 1e-9, "sum of hour \(bucket)")
            XCTAssertEqual(values[3], expected[bucket]![3], "last of hour \(bucket)")
            XCTAssertEqual(values[4], expected[bucket]![4], "count of hour \(bucket)")
        }

        let maxima = try buckets(history.hourMaximum, temperatureKey)
        XCTAssertEqual(maxima.map(\.0), Array((newest - 240)...newest), "240 closed hours and the open one")
        for (bucket, values) in maxima {
            XCTAssertEqual(values, [expected[bucket]![1]], "maximum of hour \(bucket)")
        }
        XCTAssertEqual(history.hourMaximum.kind(of: temperatureKey), .maximum)
    }

    func testOtherLongLivedSeriesKeepFullBuckets() throws {
        let (history, expected) = filledHistory()
        let newest = expected.keys.max()!

        let longHours = Array((newest - 240)..<newest)
        XCTAssertEqual(try buckets(history.hour, wearKey, includeOpen: false).map(\.0), longHours)
        XCTAssertEqual(try buckets(history.hour, energyKey, includeOpen: false).map(\.0), longHours)
        XCTAssertEqual(history.hour.kind(of: wearKey), .gauge)
        XCTAssertEqual(history.hour.kind(of: energyKey), .counter)
        // The newest closed hour of energy: 120 samples 30 s apart at 2.5 J/s.
        let lastJoules = 2.5 * 3600 * Double(newest - 500_000) - 75
        XCTAssertEqual(try buckets(history.hour, energyKey, includeOpen: false).last?.1, [9000, lastJoules, 120])
        XCTAssertEqual(history.hour.bucketCount(of: "node_load1"), 49)
        XCTAssertEqual(Set(history.hourMaximum.seriesKeys), [temperatureKey])
    }

    func testSummaryCountsMaximumOnlyHours() throws {
        let (history, _) = filledHistory()

        let summary = try XCTUnwrap(history.seriesSummaries().first { $0.key == temperatureKey })
        let wearSummary = try XCTUnwrap(history.seriesSummaries().first { $0.key == wearKey })

        XCTAssertEqual(summary.hourMaximumOnlyBuckets, 240 - 48)
        XCTAssertEqual(summary.hourBuckets, 49 + 240 - 48)
        XCTAssertEqual(wearSummary.hourMaximumOnlyBuckets, 0)
        XCTAssertEqual(wearSummary.hourBuckets, 241)
    }

    func testRestartRoundTripKeepsMaxima() throws {
        let (history, _) = filledHistory()
        let state = PersistedState(machineID: "m", bootID: "b", savedAtSeconds: 0, counters: [:],
                                   families: history.persistedFamilies, tiers: history.persistedTiers)

        let decoded = try StateFileFormat.decode(StateFileFormat.encode(state))
        let restored = History(Self.configuration)

        XCTAssertEqual(restored.restore(decoded.tiers), [])
        for key in [temperatureKey, wearKey, energyKey] {
            XCTAssertEqual(try buckets(restored.hour, key).map(\.1), try buckets(history.hour, key).map(\.1), key)
        }
        XCTAssertEqual(try buckets(restored.hourMaximum, temperatureKey).map(\.0),
                       try buckets(history.hourMaximum, temperatureKey).map(\.0))
        XCTAssertEqual(try buckets(restored.hourMaximum, temperatureKey).map(\.1),
                       try buckets(history.hourMaximum, temperatureKey).map(\.1))
    }

    func testMaximumSeriesOnlyInMaximumTier() {
        let history = History(Self.configuration)
        let maximum = PersistedState.Series(key: temperatureKey, kind: .maximum, chunks: [],
                                            open: (bucket: 5, values: PointValues([41])))
        let gauge = PersistedState.Series(key: temperatureKey, kind: .gauge, chunks: [],
                                          open: (bucket: 5, values: PointValues([40, 41, 81, 41, 2])))

        let problems = history.restore([
            PersistedState.Tier(name: "hour", widthSeconds: 3600, series: [maximum]),
            PersistedState.Tier(name: "hour-max", widthSeconds: 3600, series: [gauge]),
        ])

        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertTrue(problems[0].contains("kind maximum"), problems[0])
        XCTAssertEqual(history.hour.seriesCount, 0)
        XCTAssertEqual(history.hourMaximum.seriesCount, 0)
    }

    func testRestoreIntoShorterRingCopiesOnlyNeededChunks() throws {
        var long = CompressedRing(capacity: 4096, fieldCount: 1)
        for time in 0..<Int64(4000) {
            long.append(time: time, values: PointValues([Double(time % 17)]))
        }

        let short = try CompressedRing(capacity: 100, fieldCount: 1, chunks: long.chunks)

        XCTAssertEqual(short.count, 100)
        XCTAssertEqual(short.lastTime, 3999)
        XCTAssertEqual(short.sealedSummary.count, 1, "the newest chunk, of 928 points, covers the 100")
        XCTAssertLessThan(short.sealedAllocationEstimate, long.sealedAllocationEstimate / 2)
    }
}
