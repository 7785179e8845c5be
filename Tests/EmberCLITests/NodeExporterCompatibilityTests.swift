import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// Ember's output on node_exporter's fixture tree against node_exporter 1.5's own output there.
///
/// Every series of the compatible families must exist with the same name, labels, value (as a
/// number) and TYPE. HELP text is Ember's own wording and is not compared.
final class NodeExporterCompatibilityTests: XCTestCase {
    /// Series node_exporter 1.5 exports where it is wrong, with the reason Ember differs.
    static let deviations: [String: String] = [
        "node_network_speed_bytes{device=\"bond0\"}":
            "the fixture's speed is -1 (unknown); 1.5 exports -125000, Ember omits an unknown speed",
    ]

    /// node_exporter's own scrape bookkeeping, which Ember exports as ember_collector_* instead.
    static let skippedFamilies: Set<String> = ["node_scrape_collector_success"]

    func testCompatibleFamiliesMatchNodeExporter() throws {
        let roots = Fixtures.roots("node-exporter")
        let oracleText = try String(
            contentsOfFile: Fixtures.directory + "/node-exporter/node_exporter-1.5-output.prom", encoding: .utf8)
        let ours = try AgentHarness.exposition(roots: roots)

        let expected = PrometheusText.parseSeries(oracleText).filter { !Self.skippedFamilies.contains($0.name) }
        let actual = Dictionary(
            PrometheusText.parseSeries(ours).map { (normalised($0, root: roots.sysfs).key, $0.value) },
            uniquingKeysWith: { first, _ in first })

        var compared = 0
        for series in expected {
            let key = normalised(series, root: "sys").key
            if let reason = Self.deviations[key] {
                XCTAssertNil(actual[key], "\(key) should be omitted: \(reason)")
                continue
            }
            guard let value = actual[key] else {
                XCTFail("missing series \(key)")
                continue
            }
            XCTAssertEqual(value, series.value, "value of \(key)")
            compared += 1
        }
        XCTAssertEqual(compared, expected.count - Self.deviations.count)
        XCTAssertGreaterThan(compared, 290)
    }

    func testCompatibleFamiliesHaveNodeExporterTypes() throws {
        let oracleText = try String(
            contentsOfFile: Fixtures.directory + "/node-exporter/node_exporter-1.5-output.prom", encoding: .utf8)
        let ours = PrometheusText.parseTypes(try AgentHarness.exposition(roots: Fixtures.roots("node-exporter")))

        for (family, type) in PrometheusText.parseTypes(oracleText) where !Self.skippedFamilies.contains(family) {
            XCTAssertEqual(ours[family], type, "TYPE of \(family)")
        }
    }

    /// Rewrites the rapl `path` label relative to the root, because it carries the sysfs root as
    /// given on the command line.
    private func normalised(_ series: ParsedSeries, root: String) -> ParsedSeries {
        guard let path = series.labels["path"], path.hasPrefix(root + "/") else { return series }
        var labels = series.labels
        labels["path"] = "SYSFS" + path.dropFirst(root.count)
        return ParsedSeries(name: series.name, labels: labels, value: series.value)
    }
}
