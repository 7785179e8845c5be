import EmberTestSupport
import XCTest

@testable import EmberExposition

final class GoFloatFormatTests: XCTestCase {
    private func format(_ value: Double) -> String {
        var buffer: [UInt8] = []
        GoFloatFormat.append(value, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    func testSpecialValues() {
        XCTAssertEqual(format(.nan), "NaN")
        XCTAssertEqual(format(.infinity), "+Inf")
        XCTAssertEqual(format(-.infinity), "-Inf")
        XCTAssertEqual(format(0), "0")
        XCTAssertEqual(format(-0.0), "0")
    }

    /// Expected strings are what Go's `strconv.FormatFloat(v, 'g', -1, 64)` returns.
    func testGoShortestGFormat() {
        let cases: [(Double, String)] = [
            (1, "1"), (-1, "-1"), (3, "3"), (-125000, "-125000"), (999_999, "999999"), (1_000_000, "1e+06"),
            (2_500_000, "2.5e+06"), (1_664_039_048, "1.664039048e+09"), (1_699_981_000, "1.699981e+09"),
            (0.001, "0.001"), (0.0001, "0.0001"), (0.00001, "1e-05"), (0.000148009, "0.000148009"),
            (1.5e-7, "1.5e-07"), (118821.284256, "118821.284256"), (123456.5, "123456.5"),
            (1234567.5, "1.2345675e+06"), (0.1, "0.1"), (-0.25, "-0.25"), (1e21, "1e+21"), (1e100, "1e+100"),
            (1.8446744073709552e19, "1.8446744073709552e+19"), (Double.leastNonzeroMagnitude, "5e-324"),
            (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"), (123456, "123456"),
            (100000.5, "100000.5"), (-1e-10, "-1e-10"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(format(value), expected, "value \(value)")
        }
    }

    /// Every value string node_exporter 1.5 wrote in its unfiltered output formats back to itself.
    func testNodeExporterValuesRoundTrip() throws {
        let path = Fixtures.directory + "/node-exporter/node_exporter-1.5-output.raw.prom"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var checked = 0

        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let written = String(line.split(separator: " ").last!)
            let value = try XCTUnwrap(Double(written), "unparsable value in line \(line)")
            XCTAssertEqual(format(value), written, "line \(line)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 300)
    }
}
