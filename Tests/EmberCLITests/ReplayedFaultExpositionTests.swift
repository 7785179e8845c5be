import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// The replayed-fault trees in `Tests/Fixtures/faults`, run through the whole agent.
enum ReplayedFaultTrees {
    /// Expositions by fixture, because each takes two samples two seconds apart. XCTest runs
    /// these tests one at a time, so the cache needs no lock.
    nonisolated(unsafe) private static var expositions: [String: String] = [:]

    static func roots(_ fixture: String) -> SourceRoots {
        Fixtures.roots("faults/" + fixture)
    }

    static func exposition(_ fixture: String) throws -> String {
        if let known = expositions[fixture] {
            return known
        }
        let text = try AgentHarness.exposition(roots: roots(fixture))
        expositions[fixture] = text
        return text
    }
}

/// Runs the whole agent on each replayed-fault tree in `Tests/Fixtures/faults` whose fault is in
/// the files themselves, and checks the exposition with Prometheus' own linter.
///
/// Faults that need an errno (EINVAL, EIO, EACCES) are injected in the collector tests instead.
/// Without promtool the lint step skips, except under `CI=true`, where it fails.
final class ReplayedFaultExpositionTests: XCTestCase {
    private func exposition(_ fixture: String) throws -> String {
        try ReplayedFaultTrees.exposition(fixture)
    }

    private func series(_ text: String) -> [String: Double] {
        Dictionary(PrometheusText.parseSeries(text).map { ($0.key, $0.value) }) { first, _ in first }
    }

    /// Returns promtool's exit status and output for `text`.
    private func lint(_ text: String) throws -> (status: Int32, output: String) {
        guard Promtool.isInstalled else {
            if Promtool.isRequired {
                XCTFail("promtool is missing at \(Promtool.path): install the Debian package prometheus")
                return (-1, "")
            }
            throw XCTSkip("promtool is not installed at \(Promtool.path)")
        }
        return try Promtool.checkMetrics(Array(text.utf8))
    }

    func testInvalidModelNameExposition() throws {
        let text = try exposition("power-supply-invalid-utf8")

        XCTAssertNotNil(String(validating: Array(text.utf8), as: UTF8.self))
        XCTAssertTrue(text.contains("model_name=\"LNV-5B10W13894\u{FFFD}\""), "one replacement for C0 C0")
        XCTAssertEqual(series(text)[#"ember_collector_success{collector="powersupplyclass"}"#], 1)
        let result = try lint(text)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output, "")
    }

    func testEveryFaultTreeLintsClean() throws {
        let fixtures = [
            "hwmon-bare-temp", "hwmon-no-name", "hwmon-power-and-temp", "nvme-hwmon", "powercap-package-15",
            "thermal-read-errors", "hwmon-eagain",
        ]
        for fixture in fixtures {
            let text = try exposition(fixture)

            let result = try lint(text)
            XCTAssertEqual(result.status, 0, "\(fixture): \(result.output)")
            XCTAssertEqual(result.output, "", fixture)
            XCTAssertFalse(text.contains("ember_collector_success{collector=\"hwmon\"} 0"), fixture)
        }
    }

    func testNVMeExpositionHasNoImpossibleTemperature() throws {
        let values = series(try exposition("nvme-hwmon"))

        let temperatures = values.filter { $0.key.hasPrefix("node_hwmon_temp") && $0.key.contains("celsius") }
        XCTAssertEqual(temperatures.count, 4, "\(temperatures)")
        for (key, celsius) in temperatures {
            XCTAssertGreaterThan(celsius, -200, key)
            XCTAssertLessThan(celsius, 3000, key)
        }
        let errors = values[#"ember_collector_errors_total{collector="hwmon"}"#]
        XCTAssertEqual(errors, 2, "temp2_input in each of two samples")
        XCTAssertEqual(values[#"ember_collector_success{collector="hwmon"}"#], 1)
    }

    func testPowercapZoneNameIsValidFamily() throws {
        let text = try exposition("powercap-package-15")

        XCTAssertFalse(text.contains("package-15_joules"))
        let key = #"node_rapl_package_joules_total{index="15",path=""#
            + Fixtures.roots("faults/powercap-package-15").sys("class/powercap/intel-rapl:15") + "\"}"
        XCTAssertEqual(series(text)[key], 98305.117024)
    }
}
