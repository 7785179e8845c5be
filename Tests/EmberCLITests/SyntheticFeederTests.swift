import EmberCore
import XCTest

@testable import EmberCLI

final class SyntheticFeederTests: XCTestCase {
    private let temperature = MetricDescriptor("test_temp_celsius", "A temperature.", windowUnit: "celsius")
    private let frequency = MetricDescriptor("test_frequency_hertz", "A frequency.", windowUnit: "hertz")
    private let counter = MetricDescriptor("test_seconds_total", "A counter.", type: .counter)
    private let limit = MetricDescriptor("test_max_celsius", "A limit.")

    private func template() -> Snapshot {
        let samples = [
            Sample(temperature, 38.846, labelValues: []),
            Sample(frequency, 2.4e9, labelValues: []),
            Sample(counter, 12_345.67, labelValues: []),
            Sample(limit, 115, labelValues: []),
        ]
        return Snapshot(sequence: 1, wallTime: 0, monotonicNanoseconds: 0, samples: samples, collectors: [])
    }

    func testGridMapsTSADCTemperatures() {
        XCTAssertEqual(TSADCGrid.code(celsius: 38.846), 300)
        XCTAssertEqual(TSADCGrid.code(celsius: 39.769), 301)
        XCTAssertEqual(TSADCGrid.celsius(code: 300), 38.846)
        XCTAssertNil(TSADCGrid.code(celsius: 38.5))
    }

    func testRealisticFeedStaysOnGridAndLevels() {
        var feeder = SyntheticFeeder(template: template(), wallStart: 0, model: .realistic)
        let levels = Set([1_200, 1_416, 1_608, 1_800, 2_016, 2_208, 2_400].map { Double($0) * 1e6 })
        var previousCount = 12_345.67
        var temperatures = Set<Double>()

        for step in 0..<2_000 {
            let values = feeder.nextSnapshot(seconds: step % 2 == 0 ? 1 : 600).samples.map(\.value)
            let code = TSADCGrid.code(celsius: values[0])
            XCTAssertNotNil(code, "temperature \(values[0]) is off the grid")
            XCTAssertLessThanOrEqual(abs((code ?? 0) - 300), 5)
            XCTAssertTrue(levels.contains(values[1]), "frequency \(values[1]) is not a level")
            XCTAssertGreaterThanOrEqual(values[2], previousCount)
            XCTAssertEqual(values[3], 115)
            previousCount = values[2]
            temperatures.insert(values[0])
        }

        XCTAssertGreaterThan(temperatures.count, 5)
        XCTAssertGreaterThan(previousCount, 12_345.67)
    }

    func testCounterGrowsAtSampledRate() {
        var feeder = SyntheticFeeder(template: template(), wallStart: 0, model: .realistic)

        // 10^4 steps of 10 s are 10 % of the 10^6 s the sampled value is spread over.
        var last = 0.0
        for _ in 0..<10_000 {
            last = feeder.nextSnapshot(seconds: 10).samples[2].value
        }

        XCTAssertEqual(last - 12_345.67, 1_234.567, accuracy: 60)
    }

    func testFedValuesAreParsedDecimals() {
        for model in [FeedModel.realistic, .pessimistic] {
            var feeder = SyntheticFeeder(template: template(), wallStart: 0, model: model)

            for step in 0..<1_000 {
                let values = feeder.nextSnapshot(seconds: step % 2 == 0 ? 1 : 600).samples.map(\.value)
                // The counter has two decimals: its value must be the Double that parsing its text gives.
                let text = String(format: "%.2f", values[2])
                XCTAssertEqual(values[2], Double(text), "\(model) step \(step)")
            }
        }
    }
}
