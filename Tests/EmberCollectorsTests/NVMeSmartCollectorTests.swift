@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

/// An admin channel that serves prepared pages or errors per device path and records each request.
private final class ScriptedNVMeChannel: NVMeAdminChannel {
    var responses: [String: Result<[UInt8], any Error>] = [:]
    private(set) var requests: [(path: String, identifier: UInt8, length: Int)] = []

    func readLogPage(devicePath: String, identifier: UInt8, length: Int) throws -> [UInt8] {
        requests.append((devicePath, identifier, length))
        guard let response = responses[devicePath] else {
            throw FileError(operation: "open", path: devicePath, code: ENOENT)
        }
        return try response.get()
    }
}

private final class ManualClock: Clock, @unchecked Sendable {
    var nanoseconds: UInt64 = 1_000_000_000

    func advance(seconds: Double) {
        nanoseconds += UInt64(seconds * 1e9)
    }

    func monotonicNanoseconds() -> UInt64 { nanoseconds }
    func wallSeconds() -> Double { Double(nanoseconds) / 1e9 }
}

final class NVMeSmartCollectorTests: XCTestCase {
    private var tree: HardwareTree!
    private let channel = ScriptedNVMeChannel()
    private let clock = ManualClock()

    override func setUpWithError() throws {
        tree = try HardwareTree()
        try tree.write("class/nvme/nvme0/firmware_rev", "211210WD\n")
        try tree.write("class/nvme/nvme0/model", "WDC PC SN530 SDBPNPZ-512G-1002       \n")
        try tree.write("class/nvme/nvme0/serial", "22293C452220        \n")
        try tree.write("class/nvme/nvme0/state", "live\n")
    }

    private var devicePath: String { tree.roots.dev("nvme0") }

    private func makeCollector(options: [String: String] = [:]) throws -> NVMeCollector {
        let context = CollectorContext(
            reader: SourceReader(roots: tree.roots), logger: Logger(level: .error), options: CollectorOptions(options))
        return try NVMeCollector(context: context, channel: channel, clock: clock)
    }

    private func update(_ collector: NVMeCollector) throws -> MetricSink {
        var sink = MetricSink()
        try collector.update(into: &sink)
        return sink
    }

    private func serve(_ page: String) throws {
        channel.responses[devicePath] = .success(try nvmeSmartPage(page))
    }

    private func smartValues(_ sink: MetricSink) -> [String: Double] {
        HardwareHarness.values(sink).filter { $0.key.hasPrefix("ember_nvme_") }
    }

    func testExportsWDCSN530Log() throws {
        try serve("smart-log-wdc-sn530.bin")

        let values = smartValues(try update(try makeCollector()))

        let device = #"{device="nvme0"}"#
        XCTAssertEqual(values["ember_nvme_critical_warning" + device], 0)
        XCTAssertEqual(values[#"ember_nvme_temperature_celsius{device="nvme0",sensor="composite"}"#], 25.85)
        XCTAssertEqual(values["ember_nvme_available_spare_ratio" + device], 1)
        XCTAssertEqual(values["ember_nvme_available_spare_threshold_ratio" + device], 0.1)
        XCTAssertEqual(values["ember_nvme_percentage_used_ratio" + device], 0)
        XCTAssertEqual(values["ember_nvme_endurance_group_critical_warning" + device], 0)
        XCTAssertEqual(values["ember_nvme_data_read_bytes_total" + device], 58_670 * 512_000)
        XCTAssertEqual(values["ember_nvme_data_written_bytes_total" + device], 56_463 * 512_000)
        XCTAssertEqual(values["ember_nvme_host_read_commands_total" + device], 829_446)
        XCTAssertEqual(values["ember_nvme_host_write_commands_total" + device], 255_675)
        XCTAssertEqual(values["ember_nvme_controller_busy_seconds_total" + device], 180)
        XCTAssertEqual(values["ember_nvme_power_cycles_total" + device], 14)
        XCTAssertEqual(values["ember_nvme_power_on_seconds_total" + device], 7200)
        XCTAssertEqual(values["ember_nvme_unsafe_shutdowns_total" + device], 2)
        XCTAssertEqual(values["ember_nvme_media_errors_total" + device], 0)
        XCTAssertEqual(values["ember_nvme_error_log_entries_total" + device], 1)
        XCTAssertEqual(values["ember_nvme_warning_temperature_seconds_total" + device], 0)
        XCTAssertEqual(values["ember_nvme_critical_temperature_seconds_total" + device], 0)
        XCTAssertEqual(values[#"ember_nvme_thermal_management_transitions_total{device="nvme0",level="1"}"#], 0)
        XCTAssertEqual(values[#"ember_nvme_thermal_management_seconds_total{device="nvme0",level="2"}"#], 0)
    }

    func testRequestsHealthLogPage() throws {
        try serve("smart-log-wdc-sn530.bin")

        _ = try update(try makeCollector())

        XCTAssertEqual(channel.requests.count, 1)
        XCTAssertEqual(channel.requests.first?.path, devicePath)
        XCTAssertEqual(channel.requests.first?.identifier, 0x02)
        XCTAssertEqual(channel.requests.first?.length, 512)
    }

    func testWarningBitsAreSeparateSeries() throws {
        try serve("smart-log-edges.bin")

        let values = smartValues(try update(try makeCollector()))

        let active = { (warning: String) in
            values[#"ember_nvme_critical_warning_active{device="nvme0",warning=""# + warning + #""}"#]
        }
        XCTAssertEqual(values[#"ember_nvme_critical_warning{device="nvme0"}"#], 0x29)
        XCTAssertEqual(active("available_spare"), 1)
        XCTAssertEqual(active("temperature"), 0)
        XCTAssertEqual(active("reliability_degraded"), 0)
        XCTAssertEqual(active("read_only"), 1)
        XCTAssertEqual(active("volatile_memory_backup_failed"), 0)
        XCTAssertEqual(active("persistent_memory_read_only"), 1)
    }

    func testWornDriveWarning() throws {
        try serve("smart-log-worn.bin")

        let values = smartValues(try update(try makeCollector()))

        XCTAssertEqual(values[#"ember_nvme_critical_warning_active{device="nvme0",warning="reliability_degraded"}"#], 1)
        XCTAssertEqual(values[#"ember_nvme_percentage_used_ratio{device="nvme0"}"#], 1)
        XCTAssertEqual(values[#"ember_nvme_media_errors_total{device="nvme0"}"#], 3)
    }

    func testEdgeValuesInBaseUnits() throws {
        try serve("smart-log-edges.bin")

        let values = smartValues(try update(try makeCollector()))

        let device = #"{device="nvme0"}"#
        XCTAssertEqual(values["ember_nvme_percentage_used_ratio" + device], 2.55)
        XCTAssertEqual(values["ember_nvme_available_spare_ratio" + device], 0.04)
        let unitsWritten = 18_446_744_073_709_551_616.0 + 1000
        XCTAssertEqual(values["ember_nvme_data_written_bytes_total" + device], unitsWritten * 512_000)
        XCTAssertEqual(values["ember_nvme_endurance_group_critical_warning" + device], 4)
        XCTAssertEqual(values["ember_nvme_warning_temperature_seconds_total" + device], 420)
        XCTAssertEqual(values["ember_nvme_critical_temperature_seconds_total" + device], 120)
        XCTAssertEqual(values[#"ember_nvme_thermal_management_transitions_total{device="nvme0",level="1"}"#], 12)
        XCTAssertEqual(values[#"ember_nvme_thermal_management_transitions_total{device="nvme0",level="2"}"#], 1)
        XCTAssertEqual(values[#"ember_nvme_thermal_management_seconds_total{device="nvme0",level="1"}"#], 3600)
        XCTAssertEqual(values[#"ember_nvme_thermal_management_seconds_total{device="nvme0",level="2"}"#], 45)
    }

    func testSensorReportingZeroIsOmitted() throws {
        try serve("smart-log-wd-black-sn770m.bin")

        let values = smartValues(try update(try makeCollector()))

        let temperatures = values.filter { $0.key.hasPrefix("ember_nvme_temperature_celsius") }
        XCTAssertEqual(temperatures, [
            #"ember_nvme_temperature_celsius{device="nvme0",sensor="composite"}"#: 40.85,
            #"ember_nvme_temperature_celsius{device="nvme0",sensor="1"}"#: 49.85,
            #"ember_nvme_temperature_celsius{device="nvme0",sensor="2"}"#: 40.85,
        ])
    }

    func testCompositeOfZeroKelvinIsOmitted() throws {
        var page = try nvmeSmartPage("smart-log-wd-black-sn770m.bin")
        page[1] = 0
        page[2] = 0
        channel.responses[devicePath] = .success(page)

        let values = smartValues(try update(try makeCollector()))

        XCTAssertNil(values[#"ember_nvme_temperature_celsius{device="nvme0",sensor="composite"}"#])
        XCTAssertEqual(values[#"ember_nvme_temperature_celsius{device="nvme0",sensor="1"}"#], 49.85)
        XCTAssertNotNil(values[#"ember_nvme_power_cycles_total{device="nvme0"}"#], "the rest of the log stays")
    }

    func testImplausibleSensorIsOmittedAndRecorded() throws {
        var page = try nvmeSmartPage("smart-log-wd-black-sn770m.bin")
        // Sensor 1 at 57 K (-216.15 °C), the reading lm-sensors users have reported from an NVMe drive.
        page[200] = 57
        page[201] = 0
        channel.responses[devicePath] = .success(page)

        let sink = try update(try makeCollector())
        let values = smartValues(sink)

        XCTAssertNil(values[#"ember_nvme_temperature_celsius{device="nvme0",sensor="1"}"#])
        XCTAssertEqual(values[#"ember_nvme_temperature_celsius{device="nvme0",sensor="composite"}"#], 40.85)
        XCTAssertEqual(values[#"ember_nvme_temperature_celsius{device="nvme0",sensor="2"}"#], 40.85)
        let errors = sink.errors.compactMap { $0 as? ParseError }
        XCTAssertEqual(errors.map(\.content), ["57 K"])
        XCTAssertEqual(errors.first?.path, "SMART log of nvme0, temperature sensor 1")
    }

    func testPermissionDeniedKeepsInfo() throws {
        channel.responses[devicePath] = .failure(
            FileError(operation: "ioctl NVME_IOCTL_ADMIN_CMD", path: devicePath, code: EACCES))

        let sink = try update(try makeCollector())

        XCTAssertTrue(smartValues(sink).isEmpty)
        XCTAssertEqual(HardwareHarness.values(sink).keys.filter { $0.hasPrefix("node_nvme_info") }.count, 1)
        XCTAssertEqual(sink.unavailableSources.map(\.path), [devicePath])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testPermissionDeniedStaysReportedBetweenReads() throws {
        channel.responses[devicePath] = .failure(FileError(operation: "open", path: devicePath, code: EPERM))
        let collector = try makeCollector()
        _ = try update(collector)

        clock.advance(seconds: 1)
        let second = try update(collector)

        XCTAssertEqual(channel.requests.count, 1)
        XCTAssertEqual(second.unavailableSources.map(\.path), [devicePath])
        XCTAssertTrue(second.errors.isEmpty)
    }

    func testSamplerReportsDeniedSourceOnce() throws {
        channel.responses[devicePath] = .failure(
            FileError(operation: "ioctl NVME_IOCTL_ADMIN_CMD", path: devicePath, code: EACCES))
        let log = RecordingLogSink()
        let sampler = Sampler(
            collectors: [("nvme", try makeCollector())],
            configuration: Sampler.Configuration(intervalSeconds: 1, timeoutSeconds: 1, version: "test"),
            logger: Logger(level: .debug, sink: log))

        let first = sampler.sampleOnce()
        clock.advance(seconds: 1)
        let second = sampler.sampleOnce()

        for snapshot in [first, second] {
            let value = { (family: String, labels: [String]) in
                snapshot.samples.first { $0.descriptor.name == family && $0.labelValues == labels }?.value
            }
            // The device file is readable, so only the capability is named.
            XCTAssertEqual(value("ember_source_available", ["nvme", devicePath, "CAP_SYS_ADMIN"]), 0)
            XCTAssertEqual(value("ember_collector_success", ["nvme"]), 1)
            XCTAssertEqual(snapshot.samples.filter { $0.descriptor.name == "node_nvme_info" }.count, 1)
        }
        let denied = log.lines(containing: "source not readable by this user")
        XCTAssertEqual(denied.count, 1)
        XCTAssertTrue(denied.first?.contains("needs=CAP_SYS_ADMIN") ?? false, "\(denied)")
        XCTAssertEqual(channel.requests.count, 1)
    }

    func testIoctlErrorIsErrorOfSource() throws {
        for code in [ENOTTY, EIO, EINVAL, ENODEV] {
            channel.responses[devicePath] = .failure(
                FileError(operation: "ioctl NVME_IOCTL_ADMIN_CMD", path: devicePath, code: code))

            let sink = try update(try makeCollector())

            XCTAssertTrue(smartValues(sink).isEmpty, Errno.name(of: code))
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code])
            XCTAssertTrue(sink.unavailableSources.isEmpty, Errno.name(of: code))
            XCTAssertEqual(HardwareHarness.values(sink).count, 1, "node_nvme_info stays")
        }
    }

    func testControllerStatusIsRecorded() throws {
        channel.responses[devicePath] = .failure(NVMeCommandError(path: devicePath, status: 0x4002))

        let sink = try update(try makeCollector())

        XCTAssertTrue(smartValues(sink).isEmpty)
        XCTAssertEqual(sink.errors.count, 1)
        XCTAssertEqual((sink.errors.first as? NVMeCommandError)?.status, 0x4002)
    }

    func testShortReadIsParseError() throws {
        channel.responses[devicePath] = .success(Array(try nvmeSmartPage("smart-log-wdc-sn530.bin").prefix(64)))

        let sink = try update(try makeCollector())

        XCTAssertTrue(smartValues(sink).isEmpty)
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [devicePath])
        XCTAssertTrue(sink.errors.first is ParseError)
    }

    func testNoSecondReadBeforeInterval() throws {
        try serve("smart-log-wdc-sn530.bin")
        let collector = try makeCollector()
        let first = smartValues(try update(collector))

        clock.advance(seconds: 59.9)
        let second = smartValues(try update(collector))

        XCTAssertEqual(channel.requests.count, 1)
        XCTAssertEqual(second, first)
        XCTAssertFalse(second.isEmpty)
    }

    func testReadsAgainAfterInterval() throws {
        try serve("smart-log-wdc-sn530.bin")
        let collector = try makeCollector()
        _ = try update(collector)

        try serve("smart-log-worn.bin")
        clock.advance(seconds: 60)
        let values = smartValues(try update(collector))

        XCTAssertEqual(channel.requests.count, 2)
        XCTAssertEqual(values[#"ember_nvme_percentage_used_ratio{device="nvme0"}"#], 1)
    }

    func testIntervalOption() throws {
        try serve("smart-log-wdc-sn530.bin")
        let collector = try makeCollector(options: [NVMeCollector.smartIntervalFlag: "5s"])
        _ = try update(collector)

        clock.advance(seconds: 4)
        _ = try update(collector)
        XCTAssertEqual(channel.requests.count, 1)

        clock.advance(seconds: 1)
        _ = try update(collector)
        XCTAssertEqual(channel.requests.count, 2)
    }

    func testInvalidIntervalOptionThrows() {
        for value in ["soon", "0s", "-5s", ""] {
            XCTAssertThrowsError(try makeCollector(options: [NVMeCollector.smartIntervalFlag: value]), value) { error in
                XCTAssertTrue(error is CollectorOptionError, value)
            }
        }
    }

    func testFailedReadDropsLastGoodLog() throws {
        try serve("smart-log-wdc-sn530.bin")
        let collector = try makeCollector()
        _ = try update(collector)

        channel.responses[devicePath] = .failure(
            FileError(operation: "ioctl NVME_IOCTL_ADMIN_CMD", path: devicePath, code: EIO))
        clock.advance(seconds: 60)
        let failed = try update(collector)
        clock.advance(seconds: 1)
        let between = try update(collector)

        XCTAssertTrue(smartValues(failed).isEmpty)
        XCTAssertEqual(HardwareHarness.errorCodes(failed), [EIO])
        XCTAssertTrue(smartValues(between).isEmpty)
        XCTAssertTrue(between.errors.isEmpty, "the failure is recorded once, on the read")
        XCTAssertEqual(channel.requests.count, 2)
    }

    func testReplugReadsControllerAtOnce() throws {
        try serve("smart-log-wdc-sn530.bin")
        let collector = try makeCollector()
        _ = try update(collector)

        let saved = tree.root + "/saved-nvme0"
        try FileManager.default.moveItem(atPath: tree.path("class/nvme/nvme0"), toPath: saved)
        clock.advance(seconds: 1)
        let whileRemoved = try update(collector)
        try FileManager.default.moveItem(atPath: saved, toPath: tree.path("class/nvme/nvme0"))
        clock.advance(seconds: 1)
        _ = try update(collector)

        XCTAssertTrue(whileRemoved.samples.isEmpty)
        XCTAssertEqual(channel.requests.count, 2)
    }

    func testMissingDeviceNodeIsNotAnError() throws {
        let sink = try update(try makeCollector())

        XCTAssertTrue(smartValues(sink).isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertTrue(sink.unavailableSources.isEmpty)
    }

    /// The real channel on a regular file: the kernel rejects the NVMe ioctl with ENOTTY.
    func testSystemChannelOnRegularFile() throws {
        let node = tree.root + "/dev/nvme0"
        try FileManager.default.createDirectory(atPath: tree.root + "/dev", withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: node, contents: Data(count: 16)))

        XCTAssertThrowsError(
            try SystemNVMeAdminChannel().readLogPage(devicePath: node, identifier: 0x02, length: 512)
        ) { error in
            let fileError = error as? FileError
            XCTAssertEqual(fileError?.code, ENOTTY)
            XCTAssertEqual(fileError?.operation, "ioctl NVME_IOCTL_ADMIN_CMD")
            XCTAssertEqual(fileError?.path, node)
        }
    }

    func testSystemChannelMissingNode() {
        let node = tree.root + "/dev/nvme7"

        XCTAssertThrowsError(
            try SystemNVMeAdminChannel().readLogPage(devicePath: node, identifier: 0x02, length: 512)
        ) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOENT)
            XCTAssertEqual((error as? FileError)?.operation, "open")
        }
    }
}
