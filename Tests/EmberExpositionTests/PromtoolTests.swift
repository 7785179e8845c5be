import EmberCore
import EmberTestSupport
import Foundation
import XCTest

@testable import EmberExposition

/// Runs Prometheus's own linter, `promtool check metrics` (Debian package `prometheus`), on encoder output.
/// Without promtool the tests skip, except under `CI=true`, where they fail.
final class PromtoolTests: XCTestCase {
    private func checkMetrics(_ exposition: [UInt8]) throws -> (status: Int32, output: String) {
        guard Promtool.isInstalled else {
            if Promtool.isRequired {
                XCTFail("promtool is missing at \(Promtool.path): install the Debian package prometheus")
                return (-1, "")
            }
            throw XCTSkip("promtool is not installed at \(Promtool.path)")
        }
        return try Promtool.checkMetrics(exposition)
    }

    func testOracleFamiliesPassPromtool() throws {
        let (bytes, _) = PrometheusTextEncoder.encode(try OracleFamilies.shuffledSamples())

        let result = try checkMetrics(bytes)

        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output, "")
    }

    func testEscapedValuesPassPromtool() throws {
        let info = MetricDescriptor("ember_device_info", "Device \\ names\nwith \"quotes\".",
                                    labels: ["path", "model"])
        let counter = MetricDescriptor("ember_energy_joules_total", "Energy.", type: .counter, labels: ["zone"])
        let samples = [
            Sample(info, 1, labelValues: ["C:\\a\nb", "\"quoted\" ü €"]),
            Sample(info, 1, labelValues: ["", "tab\there"]),
            Sample(counter, 1.8446744073709552e19, labelValues: ["package-0"]),
            Sample(counter, .nan, labelValues: ["core"]),
            Sample(counter, 1e-5, labelValues: ["dram"]),
            Sample(counter, 1e-5, labelValues: ["dram"]),
        ]
        let (bytes, report) = PrometheusTextEncoder.encode(samples)

        let result = try checkMetrics(bytes)

        XCTAssertEqual(report.duplicateSeries, 1)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output, "")
    }
}
