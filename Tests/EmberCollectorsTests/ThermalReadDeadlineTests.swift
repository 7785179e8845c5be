@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

/// Replays an offline accelerator's thermal sensor: zone 1's `temp` read blocks forever in the
/// kernel while zone 0 reads 45 °C.
final class ThermalReadDeadlineTests: XCTestCase {
    private let deadline = ReadDeadline(timeoutSeconds: 0.2, firstRetrySeconds: 30)
    private let sampleTimeout = 1.5

    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        for (zone, type, temp) in [("0", "soc-thermal", "45000\n"), ("1", "npu-thermal", "52000\n")] {
            let directory = "devices/virtual/thermal/thermal_zone" + zone + "/"
            try tree.write(directory + "type", type + "\n")
            try tree.write(directory + "temp", temp)
            try tree.link("class/thermal/thermal_zone" + zone, to: "../../" + directory)
        }
        return tree
    }

    private func value(_ snapshot: Snapshot, _ family: String, _ labels: [String]) -> Double? {
        snapshot.samples.first { $0.descriptor.name == family && $0.labelValues == labels }?.value
    }

    private func timedSample(_ sampler: Sampler) -> (snapshot: Snapshot, seconds: Double) {
        let start = SystemClock().monotonicNanoseconds()
        let snapshot = sampler.sampleOnce()
        return (snapshot, Double(SystemClock().monotonicNanoseconds() - start) / 1e9)
    }

    func testBlockingZoneIsAbandonedSkippedAndRecovers() throws {
        let tree = try makeTree()
        let log = RecordingLogSink()
        let logger = Logger(level: .debug, sink: log)
        let clock = ManualClock()
        var faults: FaultInjectingFileSystem!
        let fileSystem = deadline.makeFileSystem(logger: logger.with("collector", "thermal_zone"), clock: clock) {
            faults = FaultInjectingFileSystem(base: $0)
            return faults
        }
        let blockedPath = tree.path("class/thermal/thermal_zone1/temp")
        let blocked = faults.injectBlockingRead(at: blockedPath)
        let context = CollectorContext(
            reader: SourceReader(roots: tree.roots, fileSystem: fileSystem), logger: logger,
            options: CollectorOptions())
        let sampler = Sampler(
            collectors: [("thermal_zone", ThermalZoneCollector(context: context))],
            configuration: Sampler.Configuration(intervalSeconds: 2, timeoutSeconds: sampleTimeout, version: "test"),
            logger: logger)
        let zone0 = ["0", "soc-thermal"]
        let zone1 = ["1", "npu-thermal"]

        let first = timedSample(sampler)
        XCTAssertEqual(value(first.snapshot, "node_thermal_zone_temp", zone0), 45)
        XCTAssertNil(value(first.snapshot, "node_thermal_zone_temp", zone1), "a blocked zone is absent, never 0 °C")
        XCTAssertLessThan(first.seconds, sampleTimeout)
        XCTAssertEqual(value(first.snapshot, "ember_collector_success", ["thermal_zone"]), 1)
        XCTAssertEqual(value(first.snapshot, "ember_read_timeouts_total", ["thermal_zone"]), 1)
        XCTAssertEqual(value(first.snapshot, "ember_collector_errors_total", ["thermal_zone"]), 1)
        let timeoutLines = log.lines(containing: "read timed out and was abandoned")
        XCTAssertEqual(timeoutLines.count, 1)
        XCTAssertTrue(timeoutLines.first?.contains("path=" + blockedPath) == true, "\(timeoutLines)")
        XCTAssertTrue(timeoutLines.first?.contains("deadline=200ms") == true, "\(timeoutLines)")

        let second = timedSample(sampler)
        XCTAssertEqual(value(second.snapshot, "node_thermal_zone_temp", zone0), 45)
        XCTAssertNil(value(second.snapshot, "node_thermal_zone_temp", zone1))
        XCTAssertLessThan(second.seconds, 0.15, "the next sample does not wait a 200ms deadline on zone 1 again")
        XCTAssertEqual(blocked.startedReads, 1)
        XCTAssertEqual(value(second.snapshot, "ember_read_timeouts_total", ["thermal_zone"]), 1)
        XCTAssertEqual(log.lines(containing: "read timed out and was abandoned").count, 1)

        blocked.release()
        clock.advance(seconds: 30)
        let third = timedSample(sampler)
        XCTAssertEqual(value(third.snapshot, "node_thermal_zone_temp", zone0), 45)
        XCTAssertEqual(value(third.snapshot, "node_thermal_zone_temp", zone1), 52)
        XCTAssertEqual(log.lines(containing: "file responds again").count, 1)

        _ = sampler.sampleOnce()
        XCTAssertEqual(log.lines(containing: "file responds again").count, 1, "recovery is logged once")
    }

    /// A zone whose device vanished after the listing is omitted, with one recorded error.
    func testVanishedZoneIsOmittedWithOneError() throws {
        let tree = try makeTree()
        let faults = FaultInjectingFileSystem()
        faults.injectVanished(at: tree.path("devices/virtual/thermal/thermal_zone1"))
        faults.injectVanished(at: tree.path("class/thermal/thermal_zone1"))

        let sink = try HardwareHarness.run({ ThermalZoneCollector(context: $0) }, roots: tree.roots, fileSystem: faults)

        XCTAssertEqual(HardwareHarness.values(sink), [
            "node_thermal_zone_temp{type=\"soc-thermal\",zone=\"0\"}": 45,
            "ember_thermal_zone_info{mode=\"\",policy=\"\",type=\"soc-thermal\",zone=\"0\"}": 1,
        ])
        XCTAssertEqual(sink.errors.count, 1, "\(sink.errors)")
        XCTAssertEqual((sink.errors.first as? FileError)?.code, ENOENT)
    }

    /// A short read of "45000\n" at any byte gives 45 °C, never 4.5 °C or 0.045 °C.
    func testShortReadGivesRightTemperature() throws {
        let tree = try makeTree()
        let faults = FaultInjectingFileSystem(base: SystemFileSystem(readTimeoutSeconds: 1))

        for count in 1...6 {
            faults.injectShortRead(count, at: tree.path("class/thermal/thermal_zone0/temp"))

            let sink = try HardwareHarness.run(
                { ThermalZoneCollector(context: $0) }, roots: tree.roots, fileSystem: faults)

            XCTAssertEqual(HardwareHarness.values(sink)["node_thermal_zone_temp{type=\"soc-thermal\",zone=\"0\"}"], 45)
            XCTAssertEqual(sink.errors.count, 0)
        }
    }
}
