@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class ThermalZoneCollectorTests: XCTestCase {
    private func run(_ tree: HardwareTree, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ ThermalZoneCollector(context: $0) }, roots: tree.roots, fileSystem: fileSystem)
    }

    /// Builds an RK3588-like zone with two trip points and a fan, linked from class/thermal as the kernel does.
    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        let zone = "devices/virtual/thermal/thermal_zone0/"
        try tree.write(zone + "type", "soc-thermal\n")
        try tree.write(zone + "temp", "45250\n")
        try tree.write(zone + "mode", "enabled\n")
        try tree.write(zone + "policy", "power_allocator\n")
        try tree.write(zone + "trip_point_0_temp", "75000\n")
        try tree.write(zone + "trip_point_0_type", "passive\n")
        try tree.write(zone + "trip_point_0_hyst", "2000\n")
        try tree.write(zone + "trip_point_1_temp", "115000\n")
        try tree.write(zone + "trip_point_1_type", "critical\n")
        try tree.link("class/thermal/thermal_zone0", to: "../../devices/virtual/thermal/thermal_zone0")

        let fan = "devices/virtual/thermal/cooling_device0/"
        try tree.write(fan + "type", "pwm-fan\n")
        try tree.write(fan + "cur_state", "2\n")
        try tree.write(fan + "max_state", "4\n")
        try tree.link("class/thermal/cooling_device0", to: "../../devices/virtual/thermal/cooling_device0")
        return tree
    }

    func testExportsZoneTripPointsAndCoolingDevice() throws {
        let tree = try makeTree()

        let sink = try run(tree)

        XCTAssertEqual(HardwareHarness.values(sink), [
            #"node_thermal_zone_temp{type="soc-thermal",zone="0"}"#: 45.25,
            #"ember_thermal_zone_info{mode="enabled",policy="power_allocator",type="soc-thermal",zone="0"}"#: 1,
            #"ember_thermal_zone_trip_point_temp_celsius{trip="0",trip_type="passive",type="soc-thermal",zone="0"}"#:
                75,
            #"ember_thermal_zone_trip_point_hysteresis_celsius{trip="0",trip_type="passive",type="soc-thermal",zone="0"}"#:
                2,
            #"ember_thermal_zone_trip_point_temp_celsius{trip="1",trip_type="critical",type="soc-thermal",zone="0"}"#:
                115,
            #"node_cooling_device_cur_state{name="0",type="pwm-fan"}"#: 2,
            #"node_cooling_device_max_state{name="0",type="pwm-fan"}"#: 4,
        ])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testTemperatureFamilyHasWindowUnit() {
        XCTAssertEqual(ThermalZoneCollector.zoneTemperature.windowUnit, "celsius")
    }

    func testFailedTemperatureIsOmittedNeverZero() throws {
        for code in [EIO, EAGAIN, ENODATA, EINVAL] {
            let tree = try makeTree()
            let fileSystem = FaultInjectingFileSystem()
            fileSystem.inject(code, at: tree.path("class/thermal/thermal_zone0/temp"))

            let sink = try run(tree, fileSystem: fileSystem)
            let values = HardwareHarness.values(sink)

            XCTAssertFalse(values.keys.contains { $0.hasPrefix("node_thermal_zone_temp") }, Errno.name(of: code))
            XCTAssertEqual(values[#"node_cooling_device_cur_state{name="0",type="pwm-fan"}"#], 2)
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code])
        }
    }

    func testEmptyAndGarbageTemperatureAreOmitted() throws {
        for content in ["", "hot\n", "45.5\n"] {
            let tree = try makeTree()
            try tree.write("devices/virtual/thermal/thermal_zone0/temp", content)

            let sink = try run(tree)

            XCTAssertNil(HardwareHarness.values(sink)[#"node_thermal_zone_temp{type="soc-thermal",zone="0"}"#])
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/thermal/thermal_zone0/temp")])
        }
    }

    func testNegativeTemperature() throws {
        let tree = try makeTree()
        try tree.write("devices/virtual/thermal/thermal_zone0/temp", "-5500\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"node_thermal_zone_temp{type="soc-thermal",zone="0"}"#], -5.5)
    }

    func testDisabledZoneHasNoTemperature() throws {
        let tree = try makeTree()
        try tree.write("devices/virtual/thermal/thermal_zone0/mode", "disabled\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertNil(values[#"node_thermal_zone_temp{type="soc-thermal",zone="0"}"#])
        XCTAssertEqual(
            values[#"ember_thermal_zone_info{mode="disabled",policy="power_allocator",type="soc-thermal",zone="0"}"#], 1)
    }

    func testFailedModeOrPolicyReadOmitsInfo() throws {
        for file in ["mode", "policy"] {
            let tree = try makeTree()
            let fileSystem = FaultInjectingFileSystem()
            fileSystem.inject(EIO, at: tree.path("class/thermal/thermal_zone0/" + file))

            let sink = try run(tree, fileSystem: fileSystem)
            let values = HardwareHarness.values(sink)

            XCTAssertFalse(values.keys.contains { $0.hasPrefix("ember_thermal_zone_info") }, file)
            XCTAssertEqual(values[#"node_thermal_zone_temp{type="soc-thermal",zone="0"}"#], 45.25, file)
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO], file)
        }
    }

    func testAbsentModeAndPolicyAreEmptyLabels() throws {
        let tree = try makeTree()
        try FileManager.default.removeItem(atPath: tree.path("devices/virtual/thermal/thermal_zone0/mode"))
        try FileManager.default.removeItem(atPath: tree.path("devices/virtual/thermal/thermal_zone0/policy"))

        let sink = try run(tree)

        XCTAssertEqual(
            HardwareHarness.values(sink)[#"ember_thermal_zone_info{mode="",policy="",type="soc-thermal",zone="0"}"#], 1)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testMissingTypeDropsZone() throws {
        let tree = try makeTree()
        try FileManager.default.removeItem(atPath: tree.path("devices/virtual/thermal/thermal_zone0/type"))

        let sink = try run(tree)

        XCTAssertFalse(HardwareHarness.values(sink).keys.contains { $0.contains("zone=\"0\"") })
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/thermal/thermal_zone0/type")])
    }

    func testBadCoolingStateDropsDevice() throws {
        let tree = try makeTree()
        try tree.write("devices/virtual/thermal/cooling_device0/cur_state", "x\n")

        let sink = try run(tree)

        XCTAssertFalse(HardwareHarness.values(sink).keys.contains { $0.hasPrefix("node_cooling_device") })
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/thermal/cooling_device0/cur_state")])
    }

    func testMissingClassDirectoryAddsNothing() throws {
        let sink = try run(try HardwareTree())

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testEntryNames() {
        XCTAssertEqual(ThermalNames.number("thermal_zone10", prefix: "thermal_zone"), "10")
        XCTAssertNil(ThermalNames.number("thermal_zoneX", prefix: "thermal_zone"))
        XCTAssertNil(ThermalNames.number("thermal_zone", prefix: "thermal_zone"))
        XCTAssertNil(ThermalNames.number("cooling_device0", prefix: "thermal_zone"))
    }

    func testTripPointsInNumericOrder() {
        let names = ["trip_point_10_temp", "trip_point_2_temp", "trip_point_2_type", "temp", "trip_point_x_temp"]
        XCTAssertEqual(ThermalNames.tripPoints(in: names), ["2", "10"])
    }
}
