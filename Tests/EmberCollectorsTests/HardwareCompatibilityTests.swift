import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// Compares the hardware collectors with node_exporter 1.5's output on node_exporter's own
/// fixture tree, series for series and value for value.
final class HardwareCompatibilityTests: XCTestCase {
    private static let ownedPrefixes = [
        "node_hwmon_", "node_thermal_zone_", "node_cooling_device_", "node_power_supply_", "node_nvme_",
        "node_rapl_",
    ]

    private static let collectorNames = ["hwmon", "thermal_zone", "powersupplyclass", "nvme", "rapl"]

    func testSeriesMatchNodeExporter() throws {
        let oracle = try Self.oracleText()
        let expected = Self.byKey(PrometheusText.parseSeries(oracle).filter(Self.isOwned))
        let actual = Self.byKey(try Self.collectedSamples().series.filter(Self.isOwned).map(Self.normalizeRaplPath))

        // node_exporter 1.5 exports 141 series of these families on its fixture.
        XCTAssertEqual(expected.count, 141, "series in the oracle file")
        XCTAssertEqual(actual.count, expected.count, "number of series")
        for key in expected.keys.sorted() {
            XCTAssertEqual(actual[key], expected[key], "value of \(key)")
        }
        for key in actual.keys.sorted() where expected[key] == nil {
            XCTFail("series not in node_exporter's output: \(key)")
        }
    }

    func testTypesMatchNodeExporter() throws {
        let expectedTypes = PrometheusText.parseTypes(try Self.oracleText())
        for sample in try Self.collectedSamples().samples where Self.isOwnedName(sample.descriptor.name) {
            XCTAssertEqual(sample.descriptor.type.rawValue, expectedTypes[sample.descriptor.name], sample.descriptor.name)
        }
    }

    /// The fixture's applesmc `fan1_safe` and `fan2_safe` are empty files; node_exporter skips them
    /// silently, Ember records a parse error for each and still exports everything else.
    func testFixtureErrorsAreTheEmptyFanFiles() throws {
        let definition = try XCTUnwrap(CollectorRegistry.definition(named: "hwmon"))
        let sink = try HardwareHarness.run(definition.make, roots: Fixtures.roots("node-exporter"))
        let device = Fixtures.roots("node-exporter").sysfs + "/class/hwmon/hwmon2/device/"

        XCTAssertEqual(HardwareHarness.errorPaths(sink), [device + "fan1_safe", device + "fan2_safe"])
        XCTAssertTrue(sink.unavailableSources.isEmpty)
    }

    func testOtherCollectorsRecordNoErrorsOnFixture() throws {
        for name in Self.collectorNames where name != "hwmon" {
            let definition = try XCTUnwrap(CollectorRegistry.definition(named: name))
            let sink = try HardwareHarness.run(definition.make, roots: Fixtures.roots("node-exporter"))
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [], name)
        }
    }

    func testEveryHardwareCollectorIsRegistered() {
        for name in Self.collectorNames {
            XCTAssertNotNil(CollectorRegistry.definition(named: name), name)
        }
    }

    // MARK: Helpers

    private static func oracleText() throws -> String {
        try String(contentsOfFile: Fixtures.directory + "/node-exporter/node_exporter-1.5-output.prom", encoding: .utf8)
    }

    private static func collectedSamples() throws -> (samples: [Sample], series: [ParsedSeries]) {
        var samples: [Sample] = []
        for name in collectorNames {
            let definition = try XCTUnwrap(CollectorRegistry.definition(named: name), name)
            samples += try HardwareHarness.run(definition.make, roots: Fixtures.roots("node-exporter")).samples
        }
        return (samples, PrometheusText.series(from: samples))
    }

    private static func isOwned(_ series: ParsedSeries) -> Bool {
        isOwnedName(series.name)
    }

    private static func isOwnedName(_ name: String) -> Bool {
        ownedPrefixes.contains { name.hasPrefix($0) }
    }

    /// node_exporter ran with `--path.sysfs=sys`; Ember's `path` label starts with the absolute root.
    private static func normalizeRaplPath(_ series: ParsedSeries) -> ParsedSeries {
        guard series.name.hasPrefix("node_rapl_"), let path = series.labels["path"] else { return series }

        var labels = series.labels
        let root = Fixtures.roots("node-exporter").sysfs
        labels["path"] = path.hasPrefix(root) ? "sys" + path.dropFirst(root.count) : path
        return ParsedSeries(name: series.name, labels: labels, value: series.value)
    }

    private static func byKey(_ series: [ParsedSeries]) -> [String: Double] {
        var values: [String: Double] = [:]
        for entry in series {
            XCTAssertNil(values[entry.key], "duplicate series \(entry.key)")
            values[entry.key] = entry.value
        }
        return values
    }
}
