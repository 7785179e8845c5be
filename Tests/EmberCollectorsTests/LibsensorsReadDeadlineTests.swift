import CSensors
@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// Replays a hung I2C sensor on the libsensors path: `temp2_input` of an lm75-style chip blocks in
/// the read libsensors makes itself, while `temp1_input` reads 45 °C.
///
/// libsensors reads only the real `/sys`, so a stand-in reads the chips here. It makes the stdio
/// calls libsensors 3.6 makes (`fopen` plus `fscanf` for a value, `fopen` plus `fread` for a
/// label) through ``LibsensorsReads``, as ``Libsensors/readChips(_:)`` does.
final class LibsensorsReadDeadlineTests: XCTestCase {
    private let deadline = ReadDeadline(timeoutSeconds: 0.2, firstRetrySeconds: 30)
    private let sampleTimeout = 1.5
    private let temp1 = ["lm75", "temp1"]
    private let temp2 = ["lm75", "temp2"]

    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "lm75\n")
        try tree.write("class/hwmon/hwmon0/temp1_input", "45000\n")
        try tree.write("class/hwmon/hwmon0/temp2_input", "52000\n")
        try tree.write("class/hwmon/hwmon0/temp2_label", "board\n")
        return tree
    }

    /// Reads one number as `sensors_read_sysfs_attr` does, and returns libsensors' code.
    private static func stdioValue(_ path: String) -> (code: Int32, value: Double) {
        guard let file = fopen(path, "r") else { return (-SENSORS_ERR_KERNEL, 0) }
        defer { fclose(file) }

        var value = 0.0
        let scan: (CVaListPointer) -> Int32 = { vfscanf(file, "%lf", $0) }
        let matched = withUnsafeMutablePointer(to: &value) { withVaList([$0], scan) }
        return matched == 1 ? (0, value / 1000) : (-SENSORS_ERR_ACCESS_R, 0)
    }

    /// Reads a `_label` file as `sensors_get_label` does: the feature name when it cannot.
    private static func stdioLabel(_ path: String, featureName: String) -> String {
        guard let file = fopen(path, "r") else { return featureName }
        defer { fclose(file) }

        var buffer = [UInt8](repeating: 0, count: 256)
        let count = fread(&buffer, 1, buffer.count, file)
        return count > 0 ? String(decoding: buffer[0..<(count - 1)], as: UTF8.self) : featureName
    }

    private static func readChips(_ chipPath: String, reads: LibsensorsReads) -> [LibsensorsChip] {
        var chip = LibsensorsChip(prefix: "lm75", busType: 1, busNumber: 0, address: 0x48, path: chipPath)
        for sensor in ["temp1", "temp2"] {
            let label = reads.label(at: chipPath + "/" + sensor + "_label", featureName: sensor) {
                stdioLabel(chipPath + "/" + sensor + "_label", featureName: sensor)
            }
            let input = sensor + "_input"
            let value = reads.value(at: chipPath + "/" + input) { stdioValue(chipPath + "/" + input) }
            chip.features.append(LibsensorsFeature(
                name: sensor, label: label.text,
                subfeatures: [LibsensorsSubfeature(name: input, type: 0x200, value: value)], labelError: label.error))
        }
        return [chip]
    }

    private func value(_ snapshot: Snapshot, _ family: String, _ labels: [String]) -> Double? {
        snapshot.samples.first { $0.descriptor.name == family && $0.labelValues == labels }?.value
    }

    private func timedSample(_ sampler: Sampler) -> (snapshot: Snapshot, seconds: Double) {
        let start = SystemClock().monotonicNanoseconds()
        let snapshot = sampler.sampleOnce()
        return (snapshot, Double(SystemClock().monotonicNanoseconds() - start) / 1e9)
    }

    func testBlockingValueIsAbandonedSkippedAndRecovers() throws {
        let tree = try makeTree()
        let log = RecordingLogSink()
        let logger = Logger(level: .debug, sink: log)
        let clock = ManualClock()
        var faults: FaultInjectingFileSystem!
        let fileSystem = deadline.makeFileSystem(logger: logger.with("collector", "hwmon"), clock: clock) {
            faults = FaultInjectingFileSystem(base: $0)
            return faults
        }
        let blockedPath = tree.path("class/hwmon/hwmon0/temp2_input")
        let blocked = faults.injectBlockingRead(at: blockedPath)
        let reader = SourceReader(roots: tree.roots, fileSystem: fileSystem)
        let sysfs = SysfsHwmonSource(reader: reader, logger: logger)
        let reads = LibsensorsReads(fileSystem: fileSystem)
        let source = LibsensorsHwmonSource(sysfs: sysfs) { Self.readChips(sysfs.classPath + "/hwmon0", reads: reads) }
        let sampler = Sampler(
            collectors: [("hwmon", HwmonCollector(source: source))],
            configuration: Sampler.Configuration(intervalSeconds: 2, timeoutSeconds: sampleTimeout, version: "test"),
            logger: logger)

        let first = timedSample(sampler)
        XCTAssertEqual(value(first.snapshot, "node_hwmon_temp_celsius", temp1), 45)
        XCTAssertNil(value(first.snapshot, "node_hwmon_temp_celsius", temp2), "a blocked sensor is absent, never 0 °C")
        XCTAssertLessThan(first.seconds, sampleTimeout)
        XCTAssertEqual(value(first.snapshot, "ember_collector_success", ["hwmon"]), 1)
        XCTAssertEqual(value(first.snapshot, "ember_read_timeouts_total", ["hwmon"]), 1)
        XCTAssertEqual(value(first.snapshot, "ember_collector_errors_total", ["hwmon"]), 1)
        let timeoutLines = log.lines(containing: "read timed out and was abandoned")
        XCTAssertEqual(timeoutLines.count, 1)
        XCTAssertTrue(timeoutLines.first?.contains("path=" + blockedPath) == true, "\(timeoutLines)")

        let second = timedSample(sampler)
        XCTAssertEqual(value(second.snapshot, "node_hwmon_temp_celsius", temp1), 45)
        XCTAssertNil(value(second.snapshot, "node_hwmon_temp_celsius", temp2))
        XCTAssertLessThan(second.seconds, 0.15, "the next sample does not wait a 200ms deadline on temp2 again")
        XCTAssertEqual(blocked.startedReads, 1)
        XCTAssertEqual(value(second.snapshot, "ember_read_timeouts_total", ["hwmon"]), 1)
        XCTAssertEqual(value(second.snapshot, "ember_collector_errors_total", ["hwmon"]), 2, "the skip is an error")

        blocked.release()
        clock.advance(seconds: 30)
        let third = timedSample(sampler)
        XCTAssertEqual(value(third.snapshot, "node_hwmon_temp_celsius", temp1), 45)
        XCTAssertEqual(value(third.snapshot, "node_hwmon_temp_celsius", temp2), 52)
        XCTAssertEqual(value(third.snapshot, "ember_collector_errors_total", ["hwmon"]), 2)
        XCTAssertEqual(log.lines(containing: "file responds again").count, 1)
    }

    /// A blocked `_label` read leaves the feature name as libsensors' label, so the series keeps its
    /// value and loses only the label, and the label file is not read again until its retry.
    func testBlockingLabelCostsOnlyTheLabel() throws {
        let tree = try makeTree()
        let clock = ManualClock()
        var faults: FaultInjectingFileSystem!
        let fileSystem = deadline.makeFileSystem(logger: Logger(level: .error), clock: clock) {
            faults = FaultInjectingFileSystem(base: $0)
            return faults
        }
        let blocked = faults.injectBlockingRead(at: tree.path("class/hwmon/hwmon0/temp2_label"))
        let sysfs = SysfsHwmonSource(
            reader: SourceReader(roots: tree.roots, fileSystem: fileSystem), logger: Logger(level: .error))
        let reads = LibsensorsReads(fileSystem: fileSystem)
        let collector = HwmonCollector(source: LibsensorsHwmonSource(sysfs: sysfs) {
            Self.readChips(sysfs.classPath + "/hwmon0", reads: reads)
        })

        var sink = MetricSink()
        try collector.update(into: &sink)

        let values = HardwareHarness.values(sink)
        XCTAssertEqual(values["node_hwmon_temp_celsius{chip=\"lm75\",sensor=\"temp2\"}"], 52)
        XCTAssertNil(values["node_hwmon_sensor_label{chip=\"lm75\",label=\"board\",sensor=\"temp2\"}"])
        let timeouts = Set(sink.errors.compactMap { ($0 as? FileError)?.timeout })
        XCTAssertEqual(sink.errors.count, 2, "\(sink.errors)")
        XCTAssertEqual(timeouts, [
            ReadTimeout(.abandoned, deadlineSeconds: 0.2),
            ReadTimeout(.skipped(retryInSeconds: 30), deadlineSeconds: 0.2),
        ], "libsensors' read timed out, so the sysfs reader skips the same file")
        XCTAssertEqual(blocked.startedReads, 1)
    }
}
