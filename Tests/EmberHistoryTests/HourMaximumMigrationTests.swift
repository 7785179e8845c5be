import EmberCore
import XCTest

@testable import EmberHistory

/// Loading version 2 state files, whose hour tier kept every aggregate of a temperature for the
/// long retention, into the version 3 layout of full hours and hourly maxima.
final class HourMaximumMigrationTests: XCTestCase {
    private let temperatureKey = "node_hwmon_temp_celsius\u{1}soc\u{1}temp1"
    private let wearKey = "ember_nvme_percentage_used_ratio\u{1}nvme0"

    private var configuration: HistoryConfiguration {
        var configuration = HistoryConfiguration()
        configuration.hourBuckets = 48
        configuration.longHourBuckets = 400
        return configuration
    }

    /// Returns the hour tier as version 2 agents kept it: every long-lived series, temperatures
    /// included, in full buckets for the long retention. 500 hours of samples every 10 minutes.
    private func versionTwoHourTier() -> HistoryTier {
        let tier = HistoryTier(name: "hour", widthSeconds: 3600, capacity: 48, longCapacity: 400)
        for step in 0..<(500 * 6) {
            let seconds = 1_800_000_000 + Double(step * 600)
            let celsius = Double(40_000 + (step * 37) % 9_000) / 1000
            tier.advance(toSeconds: seconds)
            tier.add(temperatureKey, kind: .gauge, value: celsius, atSeconds: seconds, long: true)
            tier.add(wearKey, kind: .gauge, value: Double(step / 60) / 100, atSeconds: seconds, long: true)
        }
        return tier
    }

    /// Returns `tiers` as a version 2 file. Version 2 and 3 encode a tier alike, and version 3 only
    /// adds a tier and a series kind, so this is the file the version 2 encoder wrote.
    private func versionTwoFile(_ tiers: [PersistedState.Tier]) -> [UInt8] {
        let state = PersistedState(machineID: "m", bootID: "b", savedAtSeconds: 0, counters: [:], tiers: tiers)
        var bytes = StateFileFormat.encode(state)
        // The version is outside the checksummed payload.
        bytes[8] = 2
        return bytes
    }

    private func buckets(_ tier: HistoryTier, _ key: String) throws -> [(Int64, [Double])] {
        var result: [(Int64, [Double])] = []
        try tier.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: true) { result.append(($0, $1.array)) }
        return result
    }

    func testVersionTwoKeepsMaximaAndFullHours() throws {
        let old = versionTwoHourTier()
        // The hour tier's two files, as the version 2 agent saved them.
        let sealed = PersistedState.Tier(name: "hour", widthSeconds: 3600, series: old.persistedSealed)
        let open = PersistedState.Tier(name: "hour", widthSeconds: 3600, series: old.persistedOpen)

        let history = History(configuration)
        for file in [versionTwoFile([sealed]), versionTwoFile([open])] {
            let state = try StateFileFormat.decode(file)
            XCTAssertEqual(state.tiers.map(\.name), ["hour", "hour-max"])
            XCTAssertEqual(history.restore(state.tiers), [])
        }

        let oldBuckets = try buckets(old, temperatureKey)
        XCTAssertEqual(oldBuckets.count, 401, "400 closed hours and the open one")
        let maxima = try buckets(history.hourMaximum, temperatureKey)
        XCTAssertEqual(maxima.map(\.0), oldBuckets.map(\.0))
        XCTAssertEqual(maxima.map(\.1), oldBuckets.map { [$0.1[1]] })
        let full = try buckets(history.hour, temperatureKey)
        XCTAssertEqual(full.map(\.0), oldBuckets.suffix(49).map(\.0), "48 closed hours and the open one")
        XCTAssertEqual(full.map(\.1), oldBuckets.suffix(49).map(\.1))
        XCTAssertEqual(try buckets(history.hour, wearKey).map(\.1), try buckets(old, wearKey).map(\.1))
        XCTAssertEqual(history.hourMaximum.seriesKeys, [temperatureKey])
    }

    func testMigratedHistoryContinuesAndSavesVersionThree() throws {
        let old = versionTwoHourTier()
        let history = History(configuration)
        let state = try StateFileFormat.decode(versionTwoFile([history.persisted(old)]))
        XCTAssertEqual(history.restore(state.tiers), [])
        let lastHour = try XCTUnwrap(buckets(old, temperatureKey).last?.0)

        // The next hour's samples go to both hourly tiers.
        let descriptor = MetricDescriptor("node_hwmon_temp_celsius", "t", labels: ["chip", "sensor"])
        for minute in [60, 90, 121] {
            let seconds = Double(lastHour * 3600 + Int64(minute) * 60)
            let sample = Sample(descriptor, 90 + Double(minute) / 10, labelValues: ["soc", "temp1"])
            history.record(Snapshot(sequence: UInt64(minute), wallTime: seconds,
                                    monotonicNanoseconds: UInt64(minute) * 60_000_000_000, samples: [sample],
                                    collectors: []))
        }
        let saved = StateFileFormat.encode(PersistedState(
            machineID: "m", bootID: "b", savedAtSeconds: 0, counters: [:], tiers: history.persistedTiers))

        XCTAssertEqual(saved[8], 3)
        let expected = [90 + Double(90) / 10, 90 + Double(121) / 10]
        XCTAssertEqual(try buckets(history.hourMaximum, temperatureKey).suffix(2).map(\.1), expected.map { [$0] })
        XCTAssertEqual(try buckets(history.hour, temperatureKey).suffix(2).map { $0.1[1] }, expected)
    }

    func testUndecodableChunkLosesOnlyItsMaxima() throws {
        let old = versionTwoHourTier()
        var series = old.persistedSeries
        let index = try XCTUnwrap(series.firstIndex { $0.key == temperatureKey })
        let chunk = series[index].chunks[0]
        // Half of the first chunk's bytes: decoding its points runs out of bits.
        let cut = SealedChunk(bytes: chunk.bytes.prefix(chunk.bytes.count / 2), count: chunk.count,
                              firstTime: chunk.firstTime, lastTime: chunk.lastTime)
        series[index] = PersistedState.Series(key: temperatureKey, kind: .gauge,
                                              chunks: [cut] + series[index].chunks.dropFirst(), open: nil)

        let state = try StateFileFormat.decode(versionTwoFile([PersistedState.Tier(
            name: "hour", widthSeconds: 3600, series: series)]))

        XCTAssertEqual(state.tiers.map(\.name), ["hour"], "no temperature left to take maxima from")
        XCTAssertEqual(state.tiers[0].series.count, 2)
    }

    func testOpenBucketOfWrongWidthIsNotMigrated() throws {
        let open = PersistedState.Series(key: temperatureKey, kind: .gauge, chunks: [],
                                         open: (bucket: 500_000, values: PointValues([41])))

        let state = try StateFileFormat.decode(versionTwoFile([PersistedState.Tier(
            name: "hour", widthSeconds: 3600, series: [open])]))

        XCTAssertEqual(state.tiers.map(\.name), ["hour"])
        XCTAssertEqual(History(configuration).restore(state.tiers).count, 1, "the hour tier rejects the bucket")
    }

    func testFutureVersionFourIsRejected() {
        var bytes = versionTwoFile([])
        bytes[8] = 4

        XCTAssertThrowsError(try StateFileFormat.decode(bytes)) { error in
            XCTAssertEqual(error as? StateFileError, .unsupportedVersion(4))
        }
    }
}
