import EmberCore
import XCTest

@testable import EmberExposition

final class PrometheusTextEncoderTests: XCTestCase {
    private let temperature = MetricDescriptor("node_hwmon_temp_celsius", "Hardware monitor for temperature (input)",
                                               labels: ["sensor", "chip"])
    private let up = MetricDescriptor("ember_up", "Whether the agent runs.")

    func testReproducesNodeExporterOutputExactly() throws {
        let samples = try OracleFamilies.shuffledSamples()

        let (bytes, report) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(string(bytes), try OracleFamilies.text())
        XCTAssertEqual(report, EncodingReport())
    }

    func testGoldenOutputSortsFamiliesSeriesAndLabels() {
        let samples = [
            Sample(temperature, 55, labelValues: ["temp2", "platform_coretemp_0"]),
            Sample(up, 1, labelValues: []),
            Sample(temperature, 54, labelValues: ["temp1", "platform_coretemp_1"]),
            Sample(temperature, 53.5, labelValues: ["temp1", "platform_coretemp_0"]),
        ]

        let (bytes, _) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(string(bytes), """
            # HELP ember_up Whether the agent runs.
            # TYPE ember_up gauge
            ember_up 1
            # HELP node_hwmon_temp_celsius Hardware monitor for temperature (input)
            # TYPE node_hwmon_temp_celsius gauge
            node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"} 53.5
            node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp2"} 55
            node_hwmon_temp_celsius{chip="platform_coretemp_1",sensor="temp1"} 54

            """)
    }

    func testEscapesLabelValuesAndHelp() {
        let descriptor = MetricDescriptor("ember_info", "Path C:\\dir\nsecond \"line\"", labels: ["value"])
        let samples = [Sample(descriptor, 1, labelValues: ["a\\b \"q\"\nnext ü €"])]

        let (bytes, _) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(string(bytes), """
            # HELP ember_info Path C:\\\\dir\\nsecond "line"
            # TYPE ember_info gauge
            ember_info{value="a\\\\b \\"q\\"\\nnext ü €"} 1

            """)
    }

    func testSpecialValuesAndTypes() {
        let counter = MetricDescriptor("ember_reads_total", "Reads.", type: .counter, labels: ["kind"])
        let untyped = MetricDescriptor("ember_mystery", "Unknown.", type: .untyped)
        let samples = [
            Sample(counter, .nan, labelValues: ["a"]), Sample(counter, .infinity, labelValues: ["b"]),
            Sample(counter, -.infinity, labelValues: ["c"]), Sample(untyped, 2_500_000, labelValues: []),
        ]

        let (bytes, _) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(string(bytes), """
            # HELP ember_mystery Unknown.
            # TYPE ember_mystery untyped
            ember_mystery 2.5e+06
            # HELP ember_reads_total Reads.
            # TYPE ember_reads_total counter
            ember_reads_total{kind="a"} NaN
            ember_reads_total{kind="b"} +Inf
            ember_reads_total{kind="c"} -Inf

            """)
    }

    func testDropsDuplicateSeriesKeepingFirst() {
        let samples = [
            Sample(temperature, 1, labelValues: ["temp1", "chip"]),
            Sample(up, 1, labelValues: []),
            Sample(temperature, 2, labelValues: ["temp1", "chip"]),
            Sample(up, 0, labelValues: []),
            Sample(temperature, 3, labelValues: ["temp1", "chip"]),
        ]

        let (bytes, report) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(report.duplicateSeries, 3)
        XCTAssertEqual(report.droppedSamples, 3)
        XCTAssertEqual(report.exampleFamilies, ["node_hwmon_temp_celsius", "ember_up"])
        XCTAssertTrue(string(bytes).contains("ember_up 1\n"))
        XCTAssertFalse(string(bytes).contains("ember_up 0"))
        XCTAssertTrue(string(bytes).contains("node_hwmon_temp_celsius{chip=\"chip\",sensor=\"temp1\"} 1\n"))
        XCTAssertEqual(string(bytes).split(separator: "\n").count, 6)
    }

    /// Label values that differ only in Unicode normalization are different series to Prometheus.
    func testDistinguishesLabelValuesByBytes() {
        let samples = [
            Sample(temperature, 1, labelValues: ["\u{E9}", "x"]),
            Sample(temperature, 2, labelValues: ["e\u{301}", "x"]),
        ]

        let (_, report) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(report.duplicateSeries, 0)
    }

    func testKeepsFirstDescriptorOnTypeConflict() {
        let counter = MetricDescriptor("ember_up", "Counter by mistake.", type: .counter)
        let otherHelp = MetricDescriptor("ember_up", "Other help.", labels: ["x"])
        let samples = [
            Sample(up, 1, labelValues: []),
            Sample(counter, 5, labelValues: []),
            Sample(counter, 6, labelValues: []),
            Sample(otherHelp, 7, labelValues: ["y"]),
        ]

        let (bytes, report) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(report.conflictingSamples, 2)
        XCTAssertEqual(report.duplicateSeries, 0)
        XCTAssertEqual(string(bytes), """
            # HELP ember_up Whether the agent runs.
            # TYPE ember_up gauge
            ember_up 1
            ember_up{x="y"} 7

            """)
    }

    /// Series of one family may differ in label names; fewer labels sort first, as in client_golang.
    func testMixedLabelSetsInOneFamily() {
        let short = MetricDescriptor("ember_info", "Info.", labels: ["b"])
        let long = MetricDescriptor("ember_info", "Info.", labels: ["c", "a"])
        let other = MetricDescriptor("ember_info", "Info.", labels: ["a"])
        let samples = [
            Sample(long, 1, labelValues: ["3", "1"]), Sample(short, 1, labelValues: ["2"]),
            Sample(other, 1, labelValues: ["2"]), Sample(short, 1, labelValues: ["1"]),
            Sample(other, 0, labelValues: ["2"]),
        ]

        let (bytes, report) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(report.duplicateSeries, 1)
        XCTAssertEqual(string(bytes), """
            # HELP ember_info Info.
            # TYPE ember_info gauge
            ember_info{b="1"} 1
            ember_info{a="2"} 1
            ember_info{b="2"} 1
            ember_info{a="1",c="3"} 1

            """)
    }

    func testDropsFamiliesWithInvalidNames() {
        let badName = MetricDescriptor("ember-up", "Dash in name.")
        let reserved = MetricDescriptor("ember_a", "Reserved label.", labels: ["__name__"])
        let repeated = MetricDescriptor("ember_b", "Repeated label.", labels: ["x", "x"])
        let samples = [
            Sample(badName, 1, labelValues: []), Sample(badName, 2, labelValues: []),
            Sample(reserved, 1, labelValues: ["v"]), Sample(repeated, 1, labelValues: ["v", "w"]),
            Sample(up, 1, labelValues: []),
        ]

        let (bytes, report) = PrometheusTextEncoder.encode(samples)

        XCTAssertEqual(report.invalidNameSamples, 4)
        XCTAssertEqual(report.exampleFamilies, ["ember-up", "ember_a", "ember_b"])
        XCTAssertEqual(string(bytes).split(separator: "\n").count, 3)
    }

    func testEmptyInputGivesEmptyOutput() {
        let (bytes, report) = PrometheusTextEncoder.encode([])

        XCTAssertEqual(bytes, [])
        XCTAssertEqual(report.droppedSamples, 0)
    }

    func testAppendsToExistingBuffer() {
        var buffer = Array("prefix\n".utf8)
        PrometheusTextEncoder.encode(ExpositionPlan(samples: [Sample(up, 1, labelValues: [])]), into: &buffer)

        XCTAssertTrue(string(buffer).hasPrefix("prefix\n# HELP ember_up"))
    }
}
