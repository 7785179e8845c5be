import EmberCore
import EmberHistory
import EmberTestSupport
import XCTest

/// Loading the version 2 hour files in `Tests/Fixtures/state-v2`, written by the agent before
/// temperatures kept only hourly maxima (see the README there).
final class StateVersionTwoFixtureTests: XCTestCase {
    private let temperatureKey = "node_thermal_zone_temp\u{1}0\u{1}soc-thermal"
    private let energyKey = "ember_energy_joules_total\u{1}package-0\u{1}rapl"
    private let files = ["ember-hour-chunks.state", "ember-hours.state"]

    private func load(_ name: String) throws -> [UInt8] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: Fixtures.directory + "/state-v2/" + name), name)
        return [UInt8](data)
    }

    /// Returns the fixture's hour tier as version 2 kept it: every long-lived series in full.
    private func versionTwoTier() throws -> HistoryTier {
        let tier = HistoryTier(name: "hour", widthSeconds: 3600, capacity: 48, longCapacity: 480)
        for name in files {
            for series in try StateFileFormat.decode(try load(name)).tiers.first { $0.name == "hour" }!.series {
                try tier.restore(series, long: History.isLongLived(family: History.split(seriesKey: series.key).name))
            }
        }
        return tier
    }

    private func buckets(_ tier: HistoryTier, _ key: String) throws -> [(Int64, [Double])] {
        var result: [(Int64, [Double])] = []
        try tier.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: true) { result.append(($0, $1.array)) }
        return result
    }

    func testFixtureFilesAreVersionTwo() throws {
        for name in files {
            XCTAssertEqual(Array(try load(name)[8..<12]), [2, 0, 0, 0], name)
        }
    }

    func testFixtureMigratesToMaximaAndFullHours() throws {
        var configuration = HistoryConfiguration()
        configuration.hourBuckets = 48
        configuration.longHourBuckets = 480
        let history = History(configuration)

        for name in files {
            let state = try StateFileFormat.decode(try load(name))
            XCTAssertEqual(state.tiers.map(\.name), ["hour", "hour-max"], name)
            XCTAssertEqual(history.restore(state.tiers), [], name)
        }

        let old = try buckets(try versionTwoTier(), temperatureKey)
        XCTAssertEqual(old.count, 481, "480 closed hours and the open one")
        let maxima = try buckets(history.hourMaximum, temperatureKey)
        XCTAssertEqual(maxima.map(\.0), old.map(\.0))
        XCTAssertEqual(maxima.map(\.1), old.map { [$0.1[1]] })
        let full = try buckets(history.hour, temperatureKey)
        XCTAssertEqual(full.map(\.0), old.suffix(49).map(\.0))
        XCTAssertEqual(full.map(\.1), old.suffix(49).map(\.1))
        let energy = try buckets(history.hour, energyKey)
        XCTAssertEqual(energy.count, 481)
        XCTAssertEqual(energy.map(\.1), try buckets(try versionTwoTier(), energyKey).map(\.1))
        XCTAssertNil(history.hourMaximum.kind(of: energyKey))
    }
}
