import EmberCore
import EmberTestSupport
import XCTest

@testable import EmberCLI

/// `ember snapshot` on a copy of the RK3588 mainline fixture whose thermal zone 1 `temp` is a FIFO
/// no one writes to: opening it blocks in the kernel, as a sensor whose driver never returns.
final class ReadDeadlineEndToEndTests: XCTestCase {
    func testFIFOThermalZoneIsAbandoned() throws {
        let tree = try TemporaryTree(copying: "rk3588/opi5plus-mainline")
        try tree.replaceWithFIFO("sys/devices/virtual/thermal/thermal_zone1/temp")

        let start = SystemClock().monotonicNanoseconds()
        let text = try AgentHarness.exposition(roots: tree.roots, extraFlags: ["--collector.read-timeout=200ms"])
        let seconds = Double(SystemClock().monotonicNanoseconds() - start) / 1e9

        let series = Dictionary(
            PrometheusText.parseSeries(text).map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(series["node_thermal_zone_temp{type=\"package-thermal\",zone=\"0\"}"], 38.846)
        XCTAssertEqual(series["node_thermal_zone_temp{type=\"bigcore2-thermal\",zone=\"2\"}"], 38.846)
        XCTAssertNil(series["node_thermal_zone_temp{type=\"bigcore0-thermal\",zone=\"1\"}"], "never 0 °C")
        XCTAssertEqual(series["ember_collector_success{collector=\"thermal_zone\"}"], 1)
        XCTAssertEqual(series["ember_read_timeouts_total{collector=\"thermal_zone\"}"], 1, "the second sample skips it")
        XCTAssertEqual(series["ember_read_timeouts_total{collector=\"cpu\"}"], 0)
        // Two samples 2 s apart, with room for a loaded machine. Zone 0 above shows that the deadline
        // worked: without it the whole collector misses the sample timeout and zone 0 is absent too.
        XCTAssertLessThan(seconds, 6)
    }
}
