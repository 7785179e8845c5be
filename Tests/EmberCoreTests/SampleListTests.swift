import EmberCore
import XCTest

/// `listsSameSeries(as:)` decides whether the history, the trailing windows and the exposition
/// reuse the last cycle's work, so a false match would store or expose values under a wrong series.
final class SampleListTests: XCTestCase {
    private let temperature = MetricDescriptor("node_hwmon_temp_celsius", "t", labels: ["chip", "sensor"])
    private let load = MetricDescriptor("node_load1", "l")

    private func samples(sensor: String = "temp1", loadValue: Double = 0.5) -> [Sample] {
        [Sample(temperature, 41, labelValues: ["cpu", sensor]), Sample(load, loadValue, labelValues: [])]
    }

    func testValuesMayDiffer() {
        XCTAssertTrue(samples(loadValue: 0.5).listsSameSeries(as: samples(loadValue: 2)))
    }

    func testLabelValueDiffers() {
        XCTAssertFalse(samples(sensor: "temp1").listsSameSeries(as: samples(sensor: "temp2")))
    }

    func testOrderDiffers() {
        XCTAssertFalse(samples().listsSameSeries(as: samples().reversed()))
    }

    func testCountDiffers() {
        XCTAssertFalse(samples().listsSameSeries(as: Array(samples().dropLast())))
        XCTAssertTrue([Sample]().listsSameSeries(as: []))
    }

    func testDescriptorDefinitionDiffers() {
        let counter = MetricDescriptor("node_load1", "l", type: .counter)
        let sameDefinition = MetricDescriptor("node_load1", "l")
        let original = samples()

        var changed = original
        changed[1] = Sample(counter, 0.5, labelValues: [])
        var copied = original
        copied[1] = Sample(sameDefinition, 0.5, labelValues: [])

        XCTAssertFalse(original.listsSameSeries(as: changed), "type changed")
        XCTAssertTrue(original.listsSameSeries(as: copied), "another descriptor with the same definition")
    }
}
