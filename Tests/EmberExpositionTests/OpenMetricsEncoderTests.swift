import EmberCore
import XCTest

@testable import EmberExposition

final class OpenMetricsEncoderTests: XCTestCase {
    func testGoldenOutput() {
        let counter = MetricDescriptor("node_network_receive_bytes_total", "Bytes received.", type: .counter,
                                       labels: ["device"])
        let bare = MetricDescriptor("ember_wraps", "Counter without suffix.", type: .counter)
        let gauge = MetricDescriptor("ember_temp_celsius", "Say \"hi\"\\\nnow", labels: ["zone"])
        let untyped = MetricDescriptor("ember_mystery", "Unknown.", type: .untyped)
        let samples = [
            Sample(counter, 1_664_039_048, labelValues: ["eth0"]), Sample(gauge, 45.07, labelValues: ["a\"b"]),
            Sample(untyped, 0.001, labelValues: []), Sample(bare, 3, labelValues: []),
            Sample(counter, 0, labelValues: ["bond0"]),
        ]

        let (bytes, report) = OpenMetricsEncoder.encode(samples)

        XCTAssertEqual(string(bytes), """
            # HELP ember_mystery Unknown.
            # TYPE ember_mystery unknown
            ember_mystery 0.001
            # HELP ember_temp_celsius Say \\"hi\\"\\\\\\nnow
            # TYPE ember_temp_celsius gauge
            ember_temp_celsius{zone="a\\"b"} 45.07
            # HELP ember_wraps Counter without suffix.
            # TYPE ember_wraps counter
            ember_wraps_total 3
            # HELP node_network_receive_bytes Bytes received.
            # TYPE node_network_receive_bytes counter
            node_network_receive_bytes_total{device="bond0"} 0
            node_network_receive_bytes_total{device="eth0"} 1.664039048e+09
            # EOF

            """)
        XCTAssertEqual(report, EncodingReport())
    }

    func testEmptyInputIsOnlyEOF() {
        XCTAssertEqual(string(OpenMetricsEncoder.encode([]).bytes), "# EOF\n")
    }

    /// A gauge `foo` and a counter `foo_total` would both be family `foo`; the first in name order stays.
    func testDropsCounterWhoseFamilyNameIsTaken() {
        let gauge = MetricDescriptor("ember_events", "Gauge.")
        let counter = MetricDescriptor("ember_events_total", "Counter.", type: .counter, labels: ["kind"])
        let samples = [
            Sample(counter, 1, labelValues: ["a"]), Sample(counter, 2, labelValues: ["b"]),
            Sample(gauge, 7, labelValues: []),
        ]

        let (bytes, report) = OpenMetricsEncoder.encode(samples)

        XCTAssertEqual(report.conflictingSamples, 2)
        XCTAssertEqual(report.exampleFamilies, ["ember_events_total"])
        XCTAssertEqual(string(bytes), """
            # HELP ember_events Gauge.
            # TYPE ember_events gauge
            ember_events 7
            # EOF

            """)
    }

    func testCountsDuplicatesLikeTextFormat() {
        let gauge = MetricDescriptor("ember_x", "X.", labels: ["a"])
        let samples = [Sample(gauge, 1, labelValues: ["1"]), Sample(gauge, 2, labelValues: ["1"])]

        let (bytes, report) = OpenMetricsEncoder.encode(samples)

        XCTAssertEqual(report.duplicateSeries, 1)
        XCTAssertTrue(string(bytes).contains("ember_x{a=\"1\"} 1\n"))
    }

    func testOracleFamiliesEndWithEOF() throws {
        let (bytes, report) = OpenMetricsEncoder.encode(try OracleFamilies.shuffledSamples())
        let text = string(bytes)

        XCTAssertEqual(report, EncodingReport())
        XCTAssertTrue(text.hasSuffix("\n# EOF\n"))
        XCTAssertTrue(text.contains("# TYPE node_network_receive_bytes counter\n"))
        XCTAssertTrue(text.contains("node_network_receive_bytes_total{device=\"docker0\"} 2568\n"))
        XCTAssertFalse(text.contains("# TYPE node_network_receive_bytes_total"))
    }
}
