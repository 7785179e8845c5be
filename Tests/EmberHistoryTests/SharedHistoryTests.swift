import EmberCore
import XCTest

@testable import EmberHistory

/// The agent publishes a snapshot and its trailing-window samples apart, and readers get them joined.
final class SharedHistoryTests: XCTestCase {
    private let temperature = MetricDescriptor("node_hwmon_temp_celsius", "t", labels: ["sensor"])
    private let windowMaximum = MetricDescriptor("ember_hwmon_temp_window_max_celsius", "m", labels: ["sensor", "window"])

    private func snapshot(_ sequence: UInt64) -> Snapshot {
        Snapshot(sequence: sequence, wallTime: 1_800_000_000 + Double(sequence), monotonicNanoseconds: sequence * 1_000_000_000,
                 samples: [Sample(temperature, 40 + Double(sequence), labelValues: ["temp1"])], collectors: [])
    }

    func testLatestJoinsWindowSamples() throws {
        let shared = SharedHistory(History(HistoryConfiguration()))
        XCTAssertNil(shared.latest)

        shared.publish(snapshot(1), windowSamples: [Sample(windowMaximum, 41, labelValues: ["temp1", "1m"])])
        let latest = try XCTUnwrap(shared.latest)

        XCTAssertEqual(latest.sequence, 1)
        XCTAssertEqual(latest.monotonicNanoseconds, 1_000_000_000)
        XCTAssertEqual(latest.samples.map(\.seriesKey),
                       ["node_hwmon_temp_celsius\u{1}temp1", "ember_hwmon_temp_window_max_celsius\u{1}temp1\u{1}1m"])
        XCTAssertEqual(latest.samples.map(\.value), [41, 41])
    }

    func testPublishReplacesWindowSamples() throws {
        let shared = SharedHistory(History(HistoryConfiguration()))
        shared.publish(snapshot(1), windowSamples: [Sample(windowMaximum, 41, labelValues: ["temp1", "1m"])])

        shared.publish(snapshot(2))
        let latest = try XCTUnwrap(shared.latest)

        XCTAssertEqual(latest.sequence, 2)
        XCTAssertEqual(latest.samples.map(\.seriesKey), ["node_hwmon_temp_celsius\u{1}temp1"])
        XCTAssertEqual(latest.samples.map(\.value), [42])
    }

    func testAppendingKeepsOrder() {
        let first = [Sample(temperature, 1, labelValues: ["a"])]
        let second = [Sample(temperature, 2, labelValues: ["b"]), Sample(temperature, 3, labelValues: ["c"])]

        let joined = first.appending(second, [], first)

        XCTAssertEqual(joined.map(\.value), [1, 2, 3, 1])
        XCTAssertEqual(joined.capacity, 4, "sized exactly")
    }
}
