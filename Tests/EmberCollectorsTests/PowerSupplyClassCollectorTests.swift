@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class PowerSupplyClassCollectorTests: XCTestCase {
    private func run(_ tree: HardwareTree, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ PowerSupplyClassCollector(context: $0) }, roots: tree.roots, fileSystem: fileSystem)
    }

    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        try tree.write("class/power_supply/BAT0/type", "Battery\n")
        try tree.write("class/power_supply/BAT0/status", "Charging\n")
        try tree.write("class/power_supply/BAT0/model_name", "5B10W13975\n")
        try tree.write("class/power_supply/BAT0/capacity", "64\n")
        try tree.write("class/power_supply/BAT0/voltage_now", "11660000\n")
        try tree.write("class/power_supply/BAT0/current_now", "1250000\n")
        try tree.write("class/power_supply/BAT0/power_now", "5002000\n")
        try tree.write("class/power_supply/BAT0/temp", "315\n")
        try tree.write("class/power_supply/BAT0/uevent", "POWER_SUPPLY_NAME=BAT0\n")
        try tree.write("class/power_supply/usb-c/type", "USB\n")
        try tree.write("class/power_supply/usb-c/online", "1\n")
        return tree
    }

    func testConvertsUnitsAndBuildsInfo() throws {
        let tree = try makeTree()

        let sink = try run(tree)

        XCTAssertEqual(HardwareHarness.values(sink), [
            #"node_power_supply_capacity{power_supply="BAT0"}"#: 64,
            #"node_power_supply_voltage_volt{power_supply="BAT0"}"#: 11.66,
            #"node_power_supply_current_ampere{power_supply="BAT0"}"#: 1.25,
            #"node_power_supply_power_watt{power_supply="BAT0"}"#: 5.002,
            #"node_power_supply_temp_celsius{power_supply="BAT0"}"#: 31.5,
            #"node_power_supply_info{model_name="5B10W13975",power_supply="BAT0",status="Charging",type="Battery"}"#: 1,
            #"node_power_supply_online{power_supply="usb-c"}"#: 1,
            #"node_power_supply_info{power_supply="usb-c",type="USB"}"#: 1,
        ])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testWindowUnits() throws {
        let sink = try run(try makeTree())
        let units = Dictionary(sink.samples.map { ($0.descriptor.name, $0.descriptor.windowUnit) }) { first, _ in first }

        XCTAssertEqual(units["node_power_supply_power_watt"], "watts")
        XCTAssertEqual(units["node_power_supply_temp_celsius"], "celsius")
        XCTAssertEqual(units["node_power_supply_capacity"], .some(nil))
    }

    func testInvalidUTF8ModelNameBecomesOneReplacement() throws {
        let tree = try makeTree()
        try tree.write("class/power_supply/BAT0/model_name", bytes: Array("LNV-45N1".utf8) + [0xC0, 0xC0])

        let sink = try run(tree)
        let info = sink.samples.first { $0.descriptor.name == "node_power_supply_info" && $0.labelValues[0] == "BAT0" }
        let labels = Dictionary(uniqueKeysWithValues: zip(info?.descriptor.labelNames ?? [], info?.labelValues ?? []))

        XCTAssertEqual(labels["model_name"], "LNV-45N1\u{FFFD}")
        XCTAssertEqual(labels["model_name"]?.unicodeScalars.filter { $0 == "\u{FFFD}" }.count, 1)
    }

    func testGarbageNumberIsOmittedAndRecorded() throws {
        let tree = try makeTree()
        try tree.write("class/power_supply/BAT0/capacity", "full\n")

        let sink = try run(tree)
        let values = HardwareHarness.values(sink)

        XCTAssertNil(values[#"node_power_supply_capacity{power_supply="BAT0"}"#])
        XCTAssertEqual(values[#"node_power_supply_voltage_volt{power_supply="BAT0"}"#], 11.66)
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/power_supply/BAT0/capacity")])
    }

    func testEmptyTextIsLeftOutOfInfo() throws {
        let tree = try makeTree()
        try tree.write("class/power_supply/BAT0/status", "")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"node_power_supply_info{model_name="5B10W13975",power_supply="BAT0",type="Battery"}"#], 1)
    }

    func testReadErrorsOmitOnlyThatSeries() throws {
        for code in [EIO, EAGAIN, ENODATA, EINVAL, ENODEV] {
            let tree = try makeTree()
            let fileSystem = FaultInjectingFileSystem()
            fileSystem.inject(code, at: tree.path("class/power_supply/BAT0/current_now"))

            let sink = try run(tree, fileSystem: fileSystem)
            let values = HardwareHarness.values(sink)

            XCTAssertNil(values[#"node_power_supply_current_ampere{power_supply="BAT0"}"#], Errno.name(of: code))
            XCTAssertEqual(values[#"node_power_supply_power_watt{power_supply="BAT0"}"#], 5.002)
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code])
        }
    }

    func testFailedInfoReadOmitsInfo() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("class/power_supply/BAT0/model_name"))

        let sink = try run(tree, fileSystem: fileSystem)
        let values = HardwareHarness.values(sink)

        let info = values.keys.filter { $0.hasPrefix("node_power_supply_info") && $0.contains(#""BAT0""#) }
        XCTAssertEqual(info, [], "never an info series without model_name for one sample")
        XCTAssertEqual(values[#"node_power_supply_capacity{power_supply="BAT0"}"#], 64)
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testImplausibleBatteryTemperatureOmitted() throws {
        let tree = try makeTree()
        // -273.1 °C, a reading no battery can have.
        try tree.write("class/power_supply/BAT0/temp", "-2731\n")
        try tree.write("class/power_supply/BAT0/temp_alert_max", "32767\n")
        try tree.write("class/power_supply/BAT0/temp_alert_min", "0\n")

        let sink = try run(tree)
        let values = HardwareHarness.values(sink)

        XCTAssertNil(values[#"node_power_supply_temp_celsius{power_supply="BAT0"}"#])
        XCTAssertNil(values[#"node_power_supply_temp_alert_max_celsius{power_supply="BAT0"}"#], "no threshold")
        XCTAssertEqual(values[#"node_power_supply_temp_alert_min_celsius{power_supply="BAT0"}"#], 0)
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/power_supply/BAT0/temp")])
    }

    func testPermissionDeniedIsUnavailable() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        let path = tree.path("class/power_supply/BAT0/power_now")
        fileSystem.inject(EACCES, at: path)

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertEqual(sink.unavailableSources.map(\.path), [path])
    }

    func testMissingClassDirectoryAddsNothing() throws {
        let sink = try run(try HardwareTree())

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testAttributeTableHasUniqueFiles() {
        let files = PowerSupplyAttributes.numeric.map(\.file) + PowerSupplyAttributes.infoFiles
        XCTAssertEqual(Set(files).count, files.count)
        XCTAssertEqual(PowerSupplyAttributes.numeric.first { $0.file == "energy_now" }?.descriptor.name,
                       "node_power_supply_energy_watthour")
    }
}
