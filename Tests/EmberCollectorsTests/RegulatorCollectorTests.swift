@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class RegulatorCollectorTests: XCTestCase {
    private func run(_ roots: SourceRoots, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ RegulatorCollector(context: $0) }, roots: roots, fileSystem: fileSystem)
    }

    /// Writes a CPU rail with a voltage, a current regulator, and the dummy regulator with a name only.
    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        let rails: [String: [String: String]] = [
            "regulator.0": ["name": "regulator-dummy", "type": "voltage", "num_users": "6"],
            "regulator.2": ["name": "vdd_cpu_big0_s0", "type": "voltage", "state": "enabled", "num_users": "2",
                            "microvolts": "1000000", "min_microvolts": "550000", "max_microvolts": "1050000"],
            "regulator.9": ["name": "vbus_limit", "type": "current", "state": "disabled", "num_users": "0",
                            "microamps": "1500000", "min_microamps": "500000", "max_microamps": "3000000"],
        ]
        for (entry, files) in rails {
            for (file, content) in files {
                try tree.write("class/regulator/" + entry + "/" + file, content + "\n")
            }
        }
        return tree
    }

    func testExportsRailsInBaseUnits() throws {
        let tree = try makeTree()

        let sink = try run(tree.roots)
        let values = HardwareHarness.values(sink)
        let big0 = "{name=\"vdd_cpu_big0_s0\",regulator=\"regulator.2\"}"
        let limit = "{name=\"vbus_limit\",regulator=\"regulator.9\"}"

        XCTAssertEqual(values["ember_regulator_volts" + big0], 1.0)
        XCTAssertEqual(values["ember_regulator_min_volts" + big0], 0.55)
        XCTAssertEqual(values["ember_regulator_max_volts" + big0], 1.05)
        XCTAssertEqual(values["ember_regulator_enabled" + big0], 1)
        XCTAssertEqual(values["ember_regulator_users" + big0], 2)
        XCTAssertEqual(values["ember_regulator_amperes" + limit], 1.5)
        XCTAssertEqual(values["ember_regulator_min_amperes" + limit], 0.5)
        XCTAssertEqual(values["ember_regulator_max_amperes" + limit], 3)
        XCTAssertEqual(values["ember_regulator_enabled" + limit], 0)
        let info = "ember_regulator_info{name=\"vbus_limit\",regulator=\"regulator.9\",type=\"current\"}"
        XCTAssertEqual(values[info], 1)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testDummyHasOnlyInfoAndUsers() throws {
        let tree = try makeTree()

        let sink = try run(tree.roots)

        let names = sink.samples.filter { $0.labelValues[0] == "regulator.0" }.map(\.descriptor.name).sorted()
        XCTAssertEqual(names, ["ember_regulator_info", "ember_regulator_users"])
    }

    func testUnknownStateOmitsEnabledSeries() throws {
        let tree = try makeTree()
        try tree.write("class/regulator/regulator.2/state", "unknown\n")

        let sink = try run(tree.roots)

        let enabled = sink.samples.filter { $0.descriptor.name == "ember_regulator_enabled" }
        XCTAssertFalse(enabled.contains { $0.labelValues[0] == "regulator.2" })
        XCTAssertTrue(enabled.contains { $0.labelValues[0] == "regulator.9" })
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testReadingAPIOnVendorFixture() throws {
        var sink = MetricSink()
        let reader = SourceReader(roots: Fixtures.roots("rk3588/opi5plus-v5.10"))

        let readings = try RegulatorReading.readAll(reader: reader, into: &sink)

        let byName = Dictionary(uniqueKeysWithValues: readings.map { ($0.name, $0) })
        XCTAssertEqual(byName["vdd_cpu_big0_s0"]?.volts, 1.0)
        XCTAssertEqual(byName["vdd_npu_s0"]?.microvolts, 800_000)
        XCTAssertEqual(byName["vdd_npu_s0"]?.maximumMicrovolts, 950_000)
        XCTAssertEqual(byName["vdd_npu_s0"]?.regulator, "regulator.4")
        XCTAssertNil(byName["regulator-dummy"]?.microvolts)
        XCTAssertEqual(readings.count, 5)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testMainlineRails() throws {
        let sink = try run(Fixtures.roots("rk3588/opi5plus-mainline"))
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(values["ember_regulator_volts{name=\"vdd_cpu_big1_s0\",regulator=\"regulator.3\"}"], 0.725)
        XCTAssertEqual(values["ember_regulator_volts{name=\"vcc5v0_sys\",regulator=\"regulator.1\"}"], 5)
    }

    func testFailedVoltageReadOmitsOnlyThatSeries() throws {
        // The regulator core returns the driver's error from `microvolts` when it cannot read the voltage.
        for code in [EINVAL, EIO, EAGAIN, ENODATA] {
            let tree = try makeTree()
            let faults = FaultInjectingFileSystem()
            faults.inject(code, at: tree.path("class/regulator/regulator.2/microvolts"))

            let sink = try run(tree.roots, fileSystem: faults)
            let values = HardwareHarness.values(sink)

            XCTAssertNil(values["ember_regulator_volts{name=\"vdd_cpu_big0_s0\",regulator=\"regulator.2\"}"])
            let maximum = "ember_regulator_max_volts{name=\"vdd_cpu_big0_s0\",regulator=\"regulator.2\"}"
            XCTAssertEqual(values[maximum], 1.05)
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code], Errno.name(of: code))
        }
    }

    func testUnreadableNameDropsRegulator() throws {
        let tree = try makeTree()
        let faults = FaultInjectingFileSystem()
        faults.inject(EIO, at: tree.path("class/regulator/regulator.2/name"))

        let sink = try run(tree.roots, fileSystem: faults)

        XCTAssertFalse(sink.samples.contains { $0.labelValues[0] == "regulator.2" })
        XCTAssertTrue(sink.samples.contains { $0.labelValues[0] == "regulator.9" })
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testGarbledValuesAreRecordedErrors() throws {
        let tree = try makeTree()
        try tree.write("class/regulator/regulator.2/microvolts", "")
        try tree.write("class/regulator/regulator.2/state", "on\n")
        try tree.write("class/regulator/regulator.2/num_users", "two\n")

        let sink = try run(tree.roots)
        let names = Set(sink.samples.filter { $0.labelValues[0] == "regulator.2" }.map(\.descriptor.name))

        XCTAssertEqual(HardwareHarness.errorPaths(sink), [
            tree.path("class/regulator/regulator.2/microvolts"), tree.path("class/regulator/regulator.2/num_users"),
            tree.path("class/regulator/regulator.2/state"),
        ])
        XCTAssertEqual(names, ["ember_regulator_info", "ember_regulator_min_volts", "ember_regulator_max_volts"])
    }

    func testInvalidUTF8NameIsReplaced() throws {
        let tree = try makeTree()
        try tree.write("class/regulator/regulator.2/name", bytes: Array("vdd_".utf8) + [0xC0, 0xC0] + Array("x\n".utf8))

        let sink = try run(tree.roots)

        let names = Set(sink.samples.filter { $0.labelValues[0] == "regulator.2" }.map { $0.labelValues[1] })
        XCTAssertEqual(names, ["vdd_\u{FFFD}x"])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testDeniedClassDirectoryIsUnavailable() throws {
        let tree = try makeTree()
        let faults = FaultInjectingFileSystem()
        faults.inject(EACCES, at: tree.path("class/regulator"))

        let sink = try run(tree.roots, fileSystem: faults)

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertEqual(sink.unavailableSources.map(\.path), [tree.path("class/regulator")])
    }
}
