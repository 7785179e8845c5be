@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

/// Faults of hwmon chips seen on real machines, replayed on the trees in `Tests/Fixtures/faults`.
///
/// Expected values are written as node_exporter computes them (`raw * 0.001`), because Ember
/// converts the same way and matches it to the last bit.
final class ReplayedFaultHwmonTests: XCTestCase {
    private func run(_ fixture: String, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run(
            { HwmonCollector(context: $0) }, roots: ReplayedFault.roots(fixture), fileSystem: fileSystem)
    }

    func testEagainReadOncePerSample() throws {
        let fixture = "hwmon-eagain"
        let path = ReplayedFault.sys(fixture, "class/hwmon/hwmon0/temp1_input")
        let faults = ReplayedFault.injecting(fixture, [("class/hwmon/hwmon0/temp1_input", EAGAIN)])
        let counting = CountingFileSystem(base: faults)
        let context = HardwareHarness.context(ReplayedFault.roots(fixture), fileSystem: counting)
        let collector = HwmonCollector(context: context)

        for sample in 1...3 {
            var sink = MetricSink()
            try collector.update(into: &sink)

            XCTAssertEqual(HardwareHarness.values(sink), [
                #"node_hwmon_chip_names{chip="dps310",chip_name="dps310"}"#: 1,
                #"node_hwmon_sensor_label{chip="dps310",label="Ambient",sensor="temp1"}"#: 1,
                #"node_hwmon_in_volts{chip="dps310",sensor="in0"}"#: 3300 * 0.001,
            ], "sample \(sample)")
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [EAGAIN], "sample \(sample)")
            XCTAssertEqual(counting.reads(of: path), sample, "one read per sample, no retry loop")
        }
    }

    func testEagainLoggedOnce() throws {
        let fixture = "hwmon-eagain"
        let faults = ReplayedFault.injecting(fixture, [("class/hwmon/hwmon0/temp1_input", EAGAIN)])
        let context = HardwareHarness.context(ReplayedFault.roots(fixture), fileSystem: faults)
        let log = RecordingLogSink()
        let sampler = Sampler(
            collectors: [("hwmon", HwmonCollector(context: context))],
            configuration: Sampler.Configuration(intervalSeconds: 1, timeoutSeconds: 5, version: "test"),
            logger: Logger(level: .debug, sink: log))

        let snapshots = (1...3).map { _ in sampler.sampleOnce() }

        for (index, snapshot) in snapshots.enumerated() {
            let value = { (family: String) in
                snapshot.samples.first { $0.descriptor.name == family && $0.labelValues == ["hwmon"] }?.value
            }
            XCTAssertEqual(value("ember_collector_success"), 1, "sample \(index + 1)")
            XCTAssertEqual(value("ember_collector_errors_total"), Double(index + 1), "sample \(index + 1)")
        }
        let logged = log.lines(containing: "EAGAIN")
        XCTAssertEqual(logged.count, 1, "\(logged)")
    }

    func testNVMeLimitsAndImplausibleReading() throws {
        let fixture = "nvme-hwmon"
        let fileSystem = ReplayedFault.injecting(fixture, [
            ("class/hwmon/hwmon1/temp2_min", EIO), ("class/hwmon/hwmon1/temp2_max", EIO),
        ])

        let sink = try run(fixture, fileSystem: fileSystem)

        XCTAssertEqual(HardwareHarness.values(sink), [
            #"node_hwmon_chip_names{chip="nvme_nvme0",chip_name="nvme"}"#: 1,
            #"node_hwmon_sensor_label{chip="nvme_nvme0",label="Composite",sensor="temp1"}"#: 1,
            #"node_hwmon_sensor_label{chip="nvme_nvme0",label="Sensor 1",sensor="temp2"}"#: 1,
            #"node_hwmon_sensor_label{chip="nvme_nvme0",label="Sensor 2",sensor="temp3"}"#: 1,
            #"node_hwmon_temp_celsius{chip="nvme_nvme0",sensor="temp1"}"#: 38850 * 0.001,
            #"node_hwmon_temp_max_celsius{chip="nvme_nvme0",sensor="temp1"}"#: 80850 * 0.001,
            #"node_hwmon_temp_crit_celsius{chip="nvme_nvme0",sensor="temp1"}"#: 84850 * 0.001,
            #"node_hwmon_temp_alarm{chip="nvme_nvme0",sensor="temp1"}"#: 0,
            #"node_hwmon_temp_celsius{chip="nvme_nvme0",sensor="temp3"}"#: 39850 * 0.001,
        ])
        let chip = ReplayedFault.sys(fixture, "class/hwmon/hwmon1/")
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [chip + "temp2_input", chip + "temp2_max", chip + "temp2_min"])
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO, EIO])
        let implausible = sink.errors.compactMap { $0 as? ParseError }
        XCTAssertEqual(implausible.map(\.content), ["-216150"])
        XCTAssertEqual(implausible.first?.expected, TemperatureRange.expectation)
    }

    func testNVMeUnsetLimitsAreNotErrors() throws {
        let sink = try run("nvme-hwmon")
        let values = HardwareHarness.values(sink)

        XCTAssertFalse(values.keys.contains { $0.hasPrefix("node_hwmon_temp_min_celsius") }, "-273150 is no threshold")
        let unset = #"node_hwmon_temp_max_celsius{chip="nvme_nvme0",sensor="temp2"}"#
        XCTAssertNil(values[unset], "65261850 is no threshold")
        XCTAssertNil(values[#"node_hwmon_temp_max_celsius{chip="nvme_nvme0",sensor="temp3"}"#])
        XCTAssertEqual(values[#"node_hwmon_temp_max_celsius{chip="nvme_nvme0",sensor="temp1"}"#], 80850 * 0.001)
        let implausible = ReplayedFault.sys("nvme-hwmon", "class/hwmon/hwmon1/temp2_input")
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [implausible])
    }

    func testBareTempUnderDeviceIsTempZero() throws {
        let sink = try run("hwmon-bare-temp")

        XCTAssertEqual(HardwareHarness.values(sink), [
            #"node_hwmon_chip_names{chip="thermal_thermal_zone0",chip_name="cpu_thermal"}"#: 1,
            #"node_hwmon_temp_celsius{chip="thermal_thermal_zone0",sensor="temp0"}"#: 52300 * 0.001,
            #"node_hwmon_temp_celsius{chip="thermal_thermal_zone0",sensor="temp1"}"#: 52300 * 0.001,
            #"node_hwmon_temp_crit_celsius{chip="thermal_thermal_zone0",sensor="temp1"}"#: 115,
        ])
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [], "trip points, cdev weights and policies are not sensors")
    }

    func testChipsWithoutNameStayApart() throws {
        let collector = HwmonCollector(context: HardwareHarness.context(ReplayedFault.roots("hwmon-no-name")))
        let expected: [String: Double] = [
            #"node_hwmon_fan_rpm{chip="platform_gpio_fan_hwmon0",sensor="fan1"}"#: 2100,
            #"node_hwmon_temp_celsius{chip="platform_gpio_fan_hwmon0",sensor="temp1"}"#: 41,
            #"node_hwmon_fan_rpm{chip="platform_gpio_fan_hwmon1",sensor="fan1"}"#: 1900,
            #"node_hwmon_temp_celsius{chip="hwmon2",sensor="temp1"}"#: 38,
        ]

        for sample in 1...2 {
            var sink = MetricSink()
            try collector.update(into: &sink)

            XCTAssertEqual(HardwareHarness.values(sink), expected, "sample \(sample), and no chip_names")
            XCTAssertEqual(Set(sink.samples.map(\.seriesKey)).count, sink.samples.count, "no duplicate series")
            XCTAssertTrue(sink.errors.isEmpty)
        }
    }

    func testPowerBesideTemperatureIsWatts() throws {
        let sink = try run("hwmon-power-and-temp")

        XCTAssertEqual(HardwareHarness.values(sink), [
            #"node_hwmon_chip_names{chip="board_ec",chip_name="board_ec"}"#: 1,
            #"node_hwmon_sensor_label{chip="board_ec",label="CPU",sensor="temp1"}"#: 1,
            #"node_hwmon_sensor_label{chip="board_ec",label="CPU power",sensor="power1"}"#: 1,
            #"node_hwmon_temp_celsius{chip="board_ec",sensor="temp1"}"#: 47,
            #"node_hwmon_power_watt{chip="board_ec",sensor="power1"}"#: 7.72,
        ])
        let power = sink.samples.first { $0.descriptor.name == "node_hwmon_power_watt" }
        XCTAssertEqual(power?.descriptor.windowUnit, "watts")
    }

    func testPowerCollectorTakesWattsFromPowerFile() throws {
        let power = try XCTUnwrap(CollectorRegistry.definition(named: "power"))

        let sink = try HardwareHarness.run(power.make, roots: ReplayedFault.roots("hwmon-power-and-temp"))
        let measured = sink.samples.filter { $0.descriptor.name == "ember_power_watts" }

        XCTAssertEqual(measured.map(\.labelValues), [["board_ec/power1", "hwmon"]], "the temperature is no power")
        XCTAssertEqual(measured.first?.value, 7.72)
        XCTAssertTrue(sink.errors.isEmpty)
    }
}

final class TemperatureRangeTests: XCTestCase {
    func testBounds() {
        XCTAssertTrue(TemperatureRange.contains(millicelsius: Int64(-200_000)))
        XCTAssertTrue(TemperatureRange.contains(millicelsius: Int64(45_000)))
        XCTAssertTrue(TemperatureRange.contains(millicelsius: Int64(3_000_000)))
        XCTAssertFalse(TemperatureRange.contains(millicelsius: Int64(-216_150)), "an NVMe sensor at 57 K")
        XCTAssertFalse(TemperatureRange.contains(millicelsius: Int64(-273_150)), "0 K")
        XCTAssertFalse(TemperatureRange.contains(millicelsius: Int64(-274_000)), "THERMAL_TEMP_INVALID")
        XCTAssertFalse(TemperatureRange.contains(millicelsius: Int64(65_261_850)), "65535 K")
        XCTAssertFalse(TemperatureRange.contains(millicelsius: Double.nan))
    }
}
