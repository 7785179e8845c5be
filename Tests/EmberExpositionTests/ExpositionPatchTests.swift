import EmberCore
import XCTest

@testable import EmberExposition

/// The cache reuses the last plan and patches values into the last text while the series stay the same.
/// Every case here checks the published body against a fresh encoding of the same samples.
final class ExpositionPatchTests: XCTestCase {
    private let temperature = MetricDescriptor("node_temp_celsius", "Temperature.", labels: ["zone", "type"])
    private let bytes = MetricDescriptor("node_bytes_total", "Bytes \\ sent\n.", type: .counter, labels: ["dev"])
    private let up = MetricDescriptor("ember_up", "Up.")

    private func samples(_ values: [Double], zones: [String] = ["0", "1"]) -> [Sample] {
        var samples = zones.enumerated().map { index, zone in
            Sample(temperature, values[index], labelValues: [zone, "cpu \"big\""])
        }
        samples.append(Sample(bytes, values[zones.count], labelValues: ["eth0"]))
        samples.append(Sample(up, values[zones.count + 1], labelValues: []))
        return samples
    }

    private func assertPublishMatchesEncoder(
        _ cache: ExpositionCache, _ samples: [Sample], sequence: UInt64, file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let report = cache.publish(samples: samples, sequence: sequence, wallTime: 0)
        let expected = PrometheusTextEncoder.encode(samples)
        let body = try XCTUnwrap(cache.body(for: .prometheusText, gzip: false), file: file, line: line)
        let openMetrics = try XCTUnwrap(cache.body(for: .openMetrics, gzip: false), file: file, line: line)

        XCTAssertEqual(String(decoding: body.bytes, as: UTF8.self), String(decoding: expected.bytes, as: UTF8.self),
                       file: file, line: line)
        XCTAssertEqual(openMetrics.bytes, OpenMetricsEncoder.encode(samples).bytes, file: file, line: line)
        XCTAssertEqual(report, expected.report, file: file, line: line)
    }

    func testChangedValuesArePatched() throws {
        let cache = ExpositionCache()
        let cycles: [[Double]] = [
            [41.5, 42, 1000, 1], [41.5, 42, 1000, 1], [9, 142.25, 1_234_567_890, 0], [.nan, -0.0, .infinity, 1],
            [.nan, 0, 3, 1], [1e-7, 5, 3, 1],
        ]

        for (index, values) in cycles.enumerated() {
            try assertPublishMatchesEncoder(cache, samples(values), sequence: UInt64(index + 1))
        }
    }

    func testNewSeriesRebuildsPlan() throws {
        let cache = ExpositionCache()
        try assertPublishMatchesEncoder(cache, samples([1, 2, 3, 4]), sequence: 1)

        try assertPublishMatchesEncoder(cache, samples([1, 2, 7, 3, 4], zones: ["0", "1", "10"]), sequence: 2)
        XCTAssertEqual(cache.status?.seriesCount, 5)
    }

    func testVanishedSeriesRebuildsPlan() throws {
        let cache = ExpositionCache()
        try assertPublishMatchesEncoder(cache, samples([1, 2, 3, 4]), sequence: 1)

        try assertPublishMatchesEncoder(cache, samples([2, 3, 4], zones: ["1"]), sequence: 2)
        XCTAssertEqual(cache.status?.seriesCount, 3)
    }

    func testChangedLabelValueRebuildsPlan() throws {
        let cache = ExpositionCache()
        try assertPublishMatchesEncoder(cache, samples([1, 2, 3, 4]), sequence: 1)

        try assertPublishMatchesEncoder(cache, samples([1, 2, 3, 4], zones: ["0", "2"]), sequence: 2)
    }

    func testReorderedInputRebuildsPlan() throws {
        let cache = ExpositionCache()
        let first = samples([1, 2, 3, 4])
        try assertPublishMatchesEncoder(cache, first, sequence: 1)

        try assertPublishMatchesEncoder(cache, first.reversed(), sequence: 2)
    }

    func testChangedDescriptorRebuildsPlan() throws {
        let cache = ExpositionCache()
        try assertPublishMatchesEncoder(cache, samples([1, 2, 3, 4]), sequence: 1)

        var changed = samples([1, 2, 3, 4])
        let renamedHelp = MetricDescriptor("ember_up", "Whether the agent is up.")
        changed[changed.count - 1] = Sample(renamedHelp, 1, labelValues: [])
        try assertPublishMatchesEncoder(cache, changed, sequence: 2)

        let retyped = MetricDescriptor("ember_up", "Whether the agent is up.", type: .counter)
        changed[changed.count - 1] = Sample(retyped, 1, labelValues: [])
        try assertPublishMatchesEncoder(cache, changed, sequence: 3)
    }

    func testDuplicatesStayDroppedWhenReused() throws {
        let cache = ExpositionCache()
        var twice = samples([1, 2, 3, 4])
        twice.append(Sample(up, 9, labelValues: []))
        try assertPublishMatchesEncoder(cache, twice, sequence: 1)

        twice[twice.count - 2] = Sample(up, 5, labelValues: [])
        twice[twice.count - 1] = Sample(up, 6, labelValues: [])
        try assertPublishMatchesEncoder(cache, twice, sequence: 2)
        XCTAssertEqual(cache.status?.report.duplicateSeries, 1)
    }

    func testEqualDescriptorCopyReusesPlan() {
        let copy = MetricDescriptor("ember_up", "Up.")
        let plan = ExpositionPlan(samples: [Sample(up, 1, labelValues: [])])

        XCTAssertNotNil(plan.reused(for: [Sample(copy, 2, labelValues: [])]))
        XCTAssertNil(plan.reused(for: [Sample(MetricDescriptor("ember_up", "Up!"), 2, labelValues: [])]))
        XCTAssertNil(plan.reused(for: []))
    }

    func testListsArePatchedAsOne() throws {
        let cache = ExpositionCache()
        let cycles: [[Double]] = [[41.5, 42, 1000, 1], [41.5, 43.25, 1000, 0], [1e-7, 43.25, 12, 0]]

        for (index, values) in cycles.enumerated() {
            let all = samples(values)
            let report = cache.publish(samples: Array(all[..<2]), Array(all[2...]), sequence: UInt64(index + 1),
                                       wallTime: 0)
            let body = try XCTUnwrap(cache.body(for: .prometheusText, gzip: false))
            let openMetrics = try XCTUnwrap(cache.body(for: .openMetrics, gzip: false))

            XCTAssertEqual(String(decoding: body.bytes, as: UTF8.self),
                           String(decoding: PrometheusTextEncoder.encode(all).bytes, as: UTF8.self))
            XCTAssertEqual(openMetrics.bytes, OpenMetricsEncoder.encode(all).bytes)
            XCTAssertEqual(report, PrometheusTextEncoder.encode(all).report)
        }
    }

    func testSeriesMovedBetweenListsRebuildsPlan() {
        let all = samples([1, 2, 3, 4])
        let plan = ExpositionPlan(lists: [Array(all[..<2]), Array(all[2...])])

        XCTAssertNotNil(plan.reused(for: Array(all[..<2]), Array(all[2...])))
        XCTAssertNil(plan.reused(for: Array(all[..<3]), Array(all[3...])))
        XCTAssertNil(plan.reused(for: all))
    }

    func testReusedPlanTakesNewValues() throws {
        let plan = ExpositionPlan(samples: samples([1, 2, 3, 4]))
        let reused = try XCTUnwrap(plan.reused(for: samples([5, 6, 7, 8])))

        XCTAssertEqual(reused.values, [5, 6, 7, 8])
        XCTAssertEqual(reused.samples.map(\.value), [1, 2, 3, 4])
        // Families sort by name: ember_up, node_bytes_total, then the two temperatures by zone.
        XCTAssertEqual(reused.writtenOrder, [3, 2, 0, 1])
    }
}
