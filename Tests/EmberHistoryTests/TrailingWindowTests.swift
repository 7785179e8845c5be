import EmberCore
import XCTest

@testable import EmberHistory

final class TrailingWindowTests: XCTestCase {
    private let temperature = MetricDescriptor(
        "node_hwmon_temp_celsius", "Hardware monitor for temperature (input).", labels: ["chip", "sensor"],
        windowUnit: "celsius")
    private let frequency = MetricDescriptor("node_cpu_scaling_frequency_hertz", "Current frequency.", labels: ["cpu"])

    private func snapshot(_ sequence: UInt64, seconds: UInt64, _ samples: [Sample]) -> Snapshot {
        Snapshot(
            sequence: sequence, wallTime: Double(seconds), monotonicNanoseconds: seconds * 1_000_000_000,
            samples: samples, collectors: [])
    }

    private func temp(_ value: Double) -> Sample {
        Sample(temperature, value, labelValues: ["soc_thermal", "temp1"])
    }

    func testWindowKeepsPeakBetweenScrapes() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let window = TrailingWindow(windowSeconds: 60)
        let values = [40.692, 41.615, 85.0, 42.538, 41.615]
        var last: Snapshot!
        for (second, value) in values.enumerated() {
            last = snapshot(UInt64(second + 1), seconds: UInt64(100 + second), [temp(value)])
            history.record(last)
        }

        let derived = window.samples(for: last, history: history)
        let byName = Dictionary(uniqueKeysWithValues: derived.map { ($0.descriptor.name, $0) })

        XCTAssertEqual(byName["ember_hwmon_temp_window_max_celsius"]?.value, 85.0)
        XCTAssertEqual(byName["ember_hwmon_temp_window_min_celsius"]?.value, 40.692)
        XCTAssertEqual(byName["ember_hwmon_temp_window_avg_celsius"]!.value, values.reduce(0, +) / 5, accuracy: 1e-9)
        XCTAssertEqual(byName["ember_hwmon_temp_window_max_celsius"]?.labelValues, ["soc_thermal", "temp1", "1m"])
    }

    func testWindowExcludesPointsOlderThanWindow() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let window = TrailingWindow(windowSeconds: 60)
        history.record(snapshot(1, seconds: 1000, [temp(90)]))
        let current = snapshot(2, seconds: 1060, [temp(45)])
        history.record(current)

        let maximum = window.samples(for: current, history: history).first {
            $0.descriptor.name == "ember_hwmon_temp_window_max_celsius"
        }

        // The 90 °C point is exactly 60 s old, so it falls outside a 60 s window.
        XCTAssertEqual(maximum?.value, 45)
    }

    func testFamiliesWithoutWindowUnitGetNone() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let current = snapshot(1, seconds: 10, [Sample(frequency, 1.8e9, labelValues: ["0"])])
        history.record(current)

        XCTAssertTrue(TrailingWindow(windowSeconds: 60).samples(for: current, history: history).isEmpty)
    }

    func testStemDropsPrefixAndUnit() {
        XCTAssertEqual(TrailingWindow.stem(of: "node_hwmon_temp_celsius", unit: "celsius"), "hwmon_temp")
        XCTAssertEqual(TrailingWindow.stem(of: "node_power_supply_power_watt", unit: "watts"), "power_supply_power")
        XCTAssertEqual(TrailingWindow.stem(of: "node_thermal_zone_temp", unit: "celsius"), "thermal_zone_temp")
        XCTAssertEqual(TrailingWindow.stem(of: "ember_board_power_watts", unit: "watts"), "board_power")
    }

    func testVanishedSeriesIsDroppedAfterRetention() {
        let history = RawHistory(retentionSeconds: 60, intervalSeconds: 1)
        history.record(snapshot(1, seconds: 100, [temp(40)]))
        XCTAssertEqual(history.seriesCount, 1)

        history.record(snapshot(2, seconds: 200, []))

        XCTAssertEqual(history.seriesCount, 0)
    }

    func testRawTierIsBoundedByRetention() {
        let history = RawHistory(retentionSeconds: 10, intervalSeconds: 1)
        for second in 0..<100 {
            history.record(snapshot(UInt64(second + 1), seconds: UInt64(1000 + second), [temp(Double(second))]))
        }
        let points = history.points(forSeries: temp(0).seriesKey)

        XCTAssertEqual(points.count, 10)
        XCTAssertEqual(points.last?.value, 99)
        XCTAssertEqual(points.first?.value, 90)
    }

    func testGapKeepsValuesAlignedWithTheirCycles() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        history.record(snapshot(1, seconds: 10, [temp(40)]))
        history.record(snapshot(2, seconds: 11, [temp(41)]))
        history.record(snapshot(3, seconds: 12, []))
        history.record(snapshot(4, seconds: 13, [temp(43)]))

        let points = history.points(forSeries: temp(0).seriesKey)

        XCTAssertEqual(points.map(\.value), [40, 41, 43])
        XCTAssertEqual(points.map(\.monotonicNanoseconds), [10, 11, 13].map { UInt64($0) * 1_000_000_000 })
        XCTAssertEqual(history.storedValueCount, 3, "a missed cycle stores nothing")
    }

    func testMissedReadKeepsWindowUntilItPasses() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let window = TrailingWindow(windowSeconds: 60)
        let first = snapshot(1, seconds: 100, [temp(88)])
        history.record(first)
        _ = window.samples(for: first, history: history)

        let failedRead = snapshot(2, seconds: 101, [])
        history.record(failedRead)
        let during = window.samples(for: failedRead, history: history)
        XCTAssertEqual(during.first { $0.descriptor.name == "ember_hwmon_temp_window_max_celsius" }?.value, 88)

        let later = snapshot(3, seconds: 161, [])
        history.record(later)
        XCTAssertTrue(window.samples(for: later, history: history).isEmpty)
    }

    private func maximum(_ samples: [Sample], chip: String) -> Double? {
        samples.first {
            $0.descriptor.name == "ember_hwmon_temp_window_max_celsius" && $0.labelValues.first == chip
        }?.value
    }

    func testRepeatedSeriesFollowNewValues() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let window = TrailingWindow(windowSeconds: 5)

        for second in 0..<20 {
            let current = snapshot(UInt64(second + 1), seconds: UInt64(100 + second), [temp(Double(second))])
            history.record(current)
            let derived = window.samples(for: current, history: history)

            XCTAssertEqual(maximum(derived, chip: "soc_thermal"), Double(second), "second \(second)")
            XCTAssertEqual(derived.count, 3, "second \(second)")
        }
    }

    func testNewLabelValueGetsWindow() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let window = TrailingWindow(windowSeconds: 60)
        let first = snapshot(1, seconds: 100, [temp(50)])
        history.record(first)
        _ = window.samples(for: first, history: history)

        let renamed = snapshot(2, seconds: 101, [Sample(temperature, 70, labelValues: ["gpu_thermal", "temp1"])])
        history.record(renamed)
        let derived = window.samples(for: renamed, history: history)

        XCTAssertEqual(maximum(derived, chip: "gpu_thermal"), 70)
        XCTAssertEqual(maximum(derived, chip: "soc_thermal"), 50, "the old series keeps its window")
    }

    func testSeriesReturnsAfterNaNWindow() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let window = TrailingWindow(windowSeconds: 2)
        let values = [40, Double.nan, .nan, .nan, 45]
        var maxima: [Double?] = []

        for (second, value) in values.enumerated() {
            let current = snapshot(UInt64(second + 1), seconds: UInt64(100 + second), [temp(value)])
            history.record(current)
            maxima.append(maximum(window.samples(for: current, history: history), chip: "soc_thermal"))
        }

        XCTAssertEqual(maxima, [40, 40, nil, nil, 45])
    }

    func testReorderedSeriesKeepTheirPoints() {
        let history = RawHistory(retentionSeconds: 900, intervalSeconds: 1)
        let first = Sample(temperature, 1, labelValues: ["a", "temp1"])
        let second = Sample(temperature, 2, labelValues: ["b", "temp1"])
        history.record(snapshot(1, seconds: 10, [first, second]))
        history.record(snapshot(2, seconds: 11, [Sample(temperature, 12, labelValues: ["b", "temp1"]),
                                                 Sample(temperature, 11, labelValues: ["a", "temp1"])]))
        history.record(snapshot(3, seconds: 12, [Sample(temperature, 21, labelValues: ["a", "temp1"])]))

        XCTAssertEqual(history.points(forSeries: first.seriesKey).map(\.value), [1, 11, 21])
        XCTAssertEqual(history.points(forSeries: second.seriesKey).map(\.value), [2, 12])
    }

    func testSweptSeriesShiftPositions() {
        let history = RawHistory(retentionSeconds: 60, intervalSeconds: 1)
        let names = ["a", "b", "c"]
        let all = names.map { Sample(temperature, 1, labelValues: [$0, "temp1"]) }
        history.record(snapshot(1, seconds: 100, all))
        history.record(snapshot(2, seconds: 200, [Sample(temperature, 2, labelValues: ["c", "temp1"])]))
        XCTAssertEqual(history.seriesCount, 1, "a and b are swept, so c moves to the first position")

        history.record(snapshot(3, seconds: 201, [Sample(temperature, 3, labelValues: ["b", "temp1"]),
                                                  Sample(temperature, 4, labelValues: ["c", "temp1"])]))

        XCTAssertEqual(history.points(forSeries: all[1].seriesKey).map(\.value), [3])
        XCTAssertEqual(history.points(forSeries: all[2].seriesKey).map(\.value), [1, 2, 4])
        XCTAssertEqual(history.points(forSeries: all[0].seriesKey).map(\.value), [])
    }

    /// The raw tier drops a series that stopped, after its 10 s retention, at its sweep once a
    /// minute. That moves the series after it in the table, so the window must find it again.
    func testRawTierDropMovesSeries() {
        let history = RawHistory(retentionSeconds: 10, intervalSeconds: 1)
        let window = TrailingWindow(windowSeconds: 5)
        let stopped = Sample(temperature, 30, labelValues: ["nvme", "temp1"])
        let key = temp(0).seriesKey

        for second in 0..<130 {
            var samples = [temp(40 + Double(second % 17))]
            if second < 5 {
                samples.insert(stopped, at: 0)
            }
            let current = snapshot(UInt64(second + 1), seconds: UInt64(100 + second), samples)
            history.record(current)
            let derived = window.samples(for: current, history: history)
            let expected = history.aggregate(forSeries: key, windowSeconds: 5, now: current.monotonicNanoseconds)

            XCTAssertEqual(maximum(derived, chip: "soc_thermal"), expected?.maximum, "second \(second)")
            XCTAssertEqual(derived.count, second < 9 ? 6 : 3, "second \(second)")
        }
        XCTAssertGreaterThan(history.generation, 0, "the raw tier dropped the stopped series")
        XCTAssertEqual(history.pointCount(forSeries: stopped.seriesKey), 0)
    }

    func testSeriesListVersionTracksNewSeries() {
        let history = History(HistoryConfiguration())
        let window = TrailingWindow(windowSeconds: 60)
        let gpu = Sample(temperature, 60, labelValues: ["gpu_thermal", "temp1"])
        let cycles: [[Sample]] = [[temp(40)], [temp(50)], [temp(45), gpu]]
        var versions: [Int] = []
        var outputs: [[Sample]] = []

        for (index, samples) in cycles.enumerated() {
            let current = snapshot(UInt64(index + 1), seconds: UInt64(100 + index), samples)
            history.record(current)
            versions.append(history.seriesListVersion)
            outputs.append(window.samples(for: current, history: history.raw,
                                          seriesListVersion: history.seriesListVersion))
        }

        XCTAssertEqual(versions[0], versions[1])
        XCTAssertNotEqual(versions[1], versions[2])
        XCTAssertEqual(outputs[1].map(\.value), [50, 40, 45])
        let maxima = outputs[2].filter { $0.descriptor.name == "ember_hwmon_temp_window_max_celsius" }
        XCTAssertEqual(Set(maxima.map(\.value)), [50, 60])
    }
}
