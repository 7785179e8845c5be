import EmberCore
import XCTest

@testable import EmberHistory

/// A history reuses the table positions of the last snapshot while the next one lists the same
/// series. Each test records one sequence of snapshots twice: into a history in collector order,
/// and into a reference history whose sample order alternates, so that it never reuses positions
/// and looks every series up by key. Both must then store the same points and buckets.
final class SampleRoutesTests: XCTestCase {
    private static let start = 1_800_000_000.0

    private let temperature = MetricDescriptor("node_hwmon_temp_celsius", "t", labels: ["chip", "sensor"],
                                               windowUnit: "celsius")
    private let bytes = MetricDescriptor("node_network_receive_bytes_total", "b", type: .counter, labels: ["device"])
    private let load = MetricDescriptor("node_load1", "l")

    private static var configuration: HistoryConfiguration {
        var configuration = HistoryConfiguration()
        configuration.rawRetentionSeconds = 120
        configuration.intervalSeconds = 10
        configuration.minuteBuckets = 3
        configuration.hourBuckets = 2
        configuration.longHourBuckets = 4
        return configuration
    }

    /// Returns one cycle's samples, built fresh each time as a collector builds them.
    private func samples(second: Int, devices: [String], sensor: String = "temp1", loadValue: Double? = nil) -> [Sample] {
        var samples = [Sample(temperature, 40 + Double(second % 7) / 4, labelValues: ["cpu", sensor])]
        for (index, device) in devices.enumerated() {
            samples.append(Sample(bytes, Double(second * (index + 1) * 1000), labelValues: [device]))
        }
        samples.append(Sample(load, loadValue ?? Double(second % 13) / 10, labelValues: []))
        return samples
    }

    private func snapshot(_ second: Int, _ samples: [Sample]) -> Snapshot {
        Snapshot(sequence: UInt64(second + 1), wallTime: Self.start + Double(second),
                 monotonicNanoseconds: UInt64(second + 1) * 1_000_000_000, samples: samples, collectors: [])
    }

    /// Records `cycles` (second, samples) into a routed and a reference history, and returns both.
    private func record(_ cycles: [(Int, [Sample])]) -> (routed: History, reference: History) {
        let routed = History(Self.configuration)
        let reference = History(Self.configuration)
        for (index, (second, samples)) in cycles.enumerated() {
            routed.record(snapshot(second, samples))
            reference.record(snapshot(second, index % 2 == 0 ? samples : samples.reversed()))
        }
        return (routed, reference)
    }

    private func assertSameContent(_ routed: History, _ reference: History, file: StaticString = #filePath, line: UInt = #line) throws {
        let keys = routed.seriesSummaries().map(\.key)
        XCTAssertEqual(keys, reference.seriesSummaries().map(\.key), "series", file: file, line: line)
        let now = keys.compactMap { routed.raw.points(forSeries: $0).last?.monotonicNanoseconds }.max() ?? 0
        for key in keys {
            XCTAssertEqual(routed.raw.points(forSeries: key), reference.raw.points(forSeries: key),
                           "raw points of \(key)", file: file, line: line)
            // 50 s reads the newest values kept in memory, 1000 s the window blocks or the points.
            for seconds in [50.0, 1000] {
                XCTAssertEqual(routed.raw.aggregate(forSeries: key, windowSeconds: seconds, now: now),
                               reference.raw.aggregate(forSeries: key, windowSeconds: seconds, now: now),
                               "\(seconds) s window of \(key)", file: file, line: line)
            }
            for (tier, referenceTier) in zip([routed.minute, routed.hour, routed.hourMaximum],
                                             [reference.minute, reference.hour, reference.hourMaximum]) {
                XCTAssertEqual(try buckets(tier, key), try buckets(referenceTier, key),
                               "\(tier.name) buckets of \(key)", file: file, line: line)
            }
        }
    }

    private func buckets(_ tier: HistoryTier, _ key: String) throws -> [[Double]] {
        var result: [[Double]] = []
        try tier.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: true) { bucket, values in
            result.append([Double(bucket)] + values.array)
        }
        return result
    }

    func testSameSeriesReusesPositions() throws {
        let cycles = stride(from: 0, to: 300, by: 10).map { ($0, samples(second: $0, devices: ["eth0", "eth1"])) }

        let (routed, reference) = record(cycles)

        XCTAssertEqual(routed.routedRecordCount, cycles.count - 1, "every snapshot after the first")
        XCTAssertEqual(reference.routedRecordCount, 0, "alternating order never fits")
        XCTAssertEqual(routed.routes.samples.map(\.value), cycles.last?.1.map(\.value),
                       "the routes keep the newest samples, not those of an older cycle")
        try assertSameContent(routed, reference)
    }

    func testChangedLabelValueLooksUpByKey() throws {
        var cycles: [(Int, [Sample])] = []
        for second in stride(from: 0, to: 200, by: 10) {
            cycles.append((second, samples(second: second, devices: ["eth0"], sensor: second < 100 ? "temp1" : "temp2")))
        }

        let (routed, reference) = record(cycles)

        XCTAssertEqual(routed.routedRecordCount, cycles.count - 2, "all but the first and the one with the new label")
        XCTAssertEqual(routed.raw.points(forSeries: "node_hwmon_temp_celsius\u{1}cpu\u{1}temp2").count, 10)
        try assertSameContent(routed, reference)
    }

    func testSeriesLeavesAndReturns() throws {
        var cycles: [(Int, [Sample])] = []
        for second in stride(from: 0, to: 400, by: 10) {
            let devices = (100..<160).contains(second) ? ["eth0"] : ["eth0", "eth1"]
            cycles.append((second, samples(second: second, devices: devices)))
        }

        let (routed, reference) = record(cycles)

        XCTAssertEqual(routed.routedRecordCount, cycles.count - 3, "the first and the two changes look up by key")
        try assertSameContent(routed, reference)
    }

    /// A series gone for longer than the minute tier's 3 buckets leaves that tier, and the raw tier
    /// drops it after 120 s, which moves the positions of the series after it.
    func testExpiredSeriesMovesPositions() throws {
        var cycles: [(Int, [Sample])] = []
        for second in stride(from: 0, to: 900, by: 10) {
            let devices = (60..<600).contains(second) ? ["eth1"] : ["eth0", "eth1"]
            cycles.append((second, samples(second: second, devices: devices)))
        }

        let (routed, reference) = record(cycles)

        XCTAssertGreaterThan(routed.raw.generation, 0, "the raw tier dropped eth0")
        XCTAssertGreaterThan(routed.minute.generation, 0, "the minute tier dropped eth0")
        XCTAssertLessThan(routed.routedRecordCount, cycles.count - 3, "a drop forces a lookup by key")
        try assertSameContent(routed, reference)
    }

    func testNonFiniteFirstValuesJoinTiersLater() throws {
        var cycles: [(Int, [Sample])] = []
        for second in stride(from: 0, to: 200, by: 10) {
            var cycle = samples(second: second, devices: ["eth0"], loadValue: second < 50 ? .nan : nil)
            if second < 120 {
                cycle[0] = Sample(temperature, .infinity, labelValues: ["cpu", "temp1"])
            }
            cycles.append((second, cycle))
        }

        let (routed, reference) = record(cycles)

        XCTAssertEqual(routed.routedRecordCount, cycles.count - 1)
        XCTAssertEqual(routed.minute.bucketCount(of: "node_load1"), 4, "minutes 0 to 3, from the first finite value at 50 s")
        XCTAssertEqual(routed.hourMaximum.bucketCount(of: "node_hwmon_temp_celsius\u{1}cpu\u{1}temp1"), 1,
                       "the hour maximum from the first finite value at 120 s")
        try assertSameContent(routed, reference)
    }

    func testChangedDescriptorTypeLooksUpByKey() throws {
        let gaugeBytes = MetricDescriptor("node_network_receive_bytes_total", "b", labels: ["device"])
        var cycles: [(Int, [Sample])] = []
        for second in stride(from: 0, to: 200, by: 10) {
            var cycle = samples(second: second, devices: ["eth0"])
            if second >= 100 {
                cycle[1] = Sample(gaugeBytes, cycle[1].value, labelValues: ["eth0"])
            }
            cycles.append((second, cycle))
        }

        let (routed, reference) = record(cycles)

        XCTAssertEqual(routed.routedRecordCount, cycles.count - 2)
        XCTAssertEqual(routed.minute.kind(of: "node_network_receive_bytes_total\u{1}eth0"), .counter,
                       "a tier keeps the kind a series started with")
        try assertSameContent(routed, reference)
    }
}
