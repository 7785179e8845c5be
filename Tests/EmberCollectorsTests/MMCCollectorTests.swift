@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class MMCCollectorTests: XCTestCase {
    private func run(_ tree: HardwareTree, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ MMCCollector(context: $0) }, roots: tree.roots, fileSystem: fileSystem)
    }

    /// Builds an eMMC at `mmc0:0001` and an SD card at `mmc1:aaaa`, laid out as the MMC core creates them.
    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        let emmc = "bus/mmc/devices/mmc0:0001/"
        try tree.write(emmc + "type", "MMC\n")
        try tree.write(emmc + "name", "A3A564\n")
        try tree.write(emmc + "manfid", "0x0000d6\n")
        try tree.write(emmc + "oemid", "0x0103\n")
        try tree.write(emmc + "serial", "0x2c4f1a07\n")
        try tree.write(emmc + "life_time", "0x01 0x02\n")
        try tree.write(emmc + "pre_eol_info", "0x02\n")
        try tree.makeDirectory(emmc + "block/mmcblk0")

        let card = "bus/mmc/devices/mmc1:aaaa/"
        try tree.write(card + "type", "SD\n")
        try tree.write(card + "name", "SN64G\n")
        try tree.write(card + "manfid", "0x000003\n")
        try tree.write(card + "oemid", "0x5344\n")
        try tree.write(card + "serial", "0x8a3c21f0\n")
        try tree.makeDirectory(card + "block/mmcblk1")
        return tree
    }

    func testExportsEMMCHealth() throws {
        let values = HardwareHarness.values(try run(try makeTree()))

        XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="A"}"#], 1)
        XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="B"}"#], 2)
        XCTAssertEqual(values[#"ember_mmc_life_time_used_max_ratio{device="mmc0:0001",estimate="A"}"#], 0.1)
        XCTAssertEqual(values[#"ember_mmc_life_time_used_max_ratio{device="mmc0:0001",estimate="B"}"#], 0.2)
        XCTAssertEqual(values[#"ember_mmc_pre_eol_level{device="mmc0:0001"}"#], 2)
    }

    func testInfoForBothCards() throws {
        let values = HardwareHarness.values(try run(try makeTree()))

        let emmc = #"ember_mmc_info{block="mmcblk0",device="mmc0:0001",manfid="0x0000d6",name="A3A564","#
            + #"oemid="0x0103",serial="0x2c4f1a07",type="MMC"}"#
        let card = #"ember_mmc_info{block="mmcblk1",device="mmc1:aaaa",manfid="0x000003",name="SN64G","#
            + #"oemid="0x5344",serial="0x8a3c21f0",type="SD"}"#
        XCTAssertEqual(values[emmc], 1)
        XCTAssertEqual(values[card], 1)
    }

    func testBootPartitionsAreNotTheBlockLabel() throws {
        let tree = try makeTree()
        try tree.makeDirectory("bus/mmc/devices/mmc0:0001/block/mmcblk0boot0")
        try tree.makeDirectory("bus/mmc/devices/mmc0:0001/block/mmcblk0boot1")

        let sink = try run(tree)

        let info = sink.samples.first { $0.descriptor.name == "ember_mmc_info" && $0.labelValues[0] == "mmc0:0001" }
        XCTAssertEqual(info?.labelValues.last, "mmcblk0")
    }

    func testSDCardGetsOnlyInfo() throws {
        let sink = try run(try makeTree())

        let families = Set(sink.samples.filter { $0.labelValues[0] == "mmc1:aaaa" }.map(\.descriptor.name))
        XCTAssertEqual(families, ["ember_mmc_info"])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testSDIOCardHasEmptyLabels() throws {
        let tree = try HardwareTree()
        try tree.write("bus/mmc/devices/mmc2:0001/type", "SDIO\n")

        let values = HardwareHarness.values(try run(tree))

        let key = #"ember_mmc_info{block="",device="mmc2:0001",manfid="",name="",oemid="",serial="",type="SDIO"}"#
        XCTAssertEqual(values, [key: 1])
    }

    func testExceededLifeIsAboveOne() throws {
        let tree = try makeTree()
        try tree.write("bus/mmc/devices/mmc0:0001/life_time", "0x0b 0x0a\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="A"}"#], 11)
        XCTAssertEqual(values[#"ember_mmc_life_time_used_max_ratio{device="mmc0:0001",estimate="A"}"#], 1.1)
        XCTAssertEqual(values[#"ember_mmc_life_time_used_max_ratio{device="mmc0:0001",estimate="B"}"#], 1.0)
    }

    func testUndefinedCodeHasNoRatio() throws {
        let tree = try makeTree()
        try tree.write("bus/mmc/devices/mmc0:0001/life_time", "0x00 0x0c\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="A"}"#], 0)
        XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="B"}"#], 12)
        XCTAssertTrue(values.keys.filter { $0.hasPrefix("ember_mmc_life_time_used_max_ratio") }.isEmpty)
    }

    func testMalformedLifeTimeIsParseError() throws {
        for content in ["0x01\n", "0x01 0xzz\n", "\n", "0x001 0x02\n"] {
            let tree = try makeTree()
            try tree.write("bus/mmc/devices/mmc0:0001/life_time", content)

            let sink = try run(tree)

            let families = Set(HardwareHarness.values(sink).keys.map { $0.prefix { $0 != "{" } })
            XCTAssertFalse(families.contains("ember_mmc_life_time_level"), content)
            XCTAssertTrue(families.contains("ember_mmc_pre_eol_level"), content)
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("bus/mmc/devices/mmc0:0001/life_time")])
        }
    }

    func testMalformedPreEOLIsParseError() throws {
        let tree = try makeTree()
        try tree.write("bus/mmc/devices/mmc0:0001/pre_eol_info", "normal\n")

        let sink = try run(tree)

        XCTAssertNil(HardwareHarness.values(sink)[#"ember_mmc_pre_eol_level{device="mmc0:0001"}"#])
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("bus/mmc/devices/mmc0:0001/pre_eol_info")])
    }

    func testReadErrorsOmitOnlyTheirSeries() throws {
        for code in [EIO, EINVAL, EAGAIN, ENODATA] {
            let tree = try makeTree()
            let fileSystem = FaultInjectingFileSystem()
            fileSystem.inject(code, at: tree.path("bus/mmc/devices/mmc0:0001/life_time"))

            let sink = try run(tree, fileSystem: fileSystem)

            let values = HardwareHarness.values(sink)
            XCTAssertNil(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="A"}"#])
            XCTAssertEqual(values[#"ember_mmc_pre_eol_level{device="mmc0:0001"}"#], 2)
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code])
        }
    }

    func testFailedNameReadOmitsInfo() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("bus/mmc/devices/mmc0:0001/name"))

        let sink = try run(tree, fileSystem: fileSystem)

        let info = sink.samples.filter { $0.descriptor.name == "ember_mmc_info" }.map { $0.labelValues[0] }
        XCTAssertEqual(info, ["mmc1:aaaa"])
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testPermissionDeniedIsUnavailable() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EACCES, at: tree.path("bus/mmc/devices/mmc0:0001/pre_eol_info"))

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(sink.unavailableSources.map(\.path), [tree.path("bus/mmc/devices/mmc0:0001/pre_eol_info")])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testMissingBusAddsNothing() throws {
        let sink = try run(try HardwareTree())

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testSplitLifeTimeFiles() throws {
        let tree = try makeTree()
        try FileManager.default.removeItem(atPath: tree.path("bus/mmc/devices/mmc0:0001/life_time"))
        try tree.write("bus/mmc/devices/mmc0:0001/life_time_est_typ_a", "0x03\n")
        try tree.write("bus/mmc/devices/mmc0:0001/life_time_est_typ_b", "0x0A\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="A"}"#], 3)
        XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="B"}"#], 10)
    }

    func testPreEOLWithoutPrefix() throws {
        let tree = try makeTree()
        try tree.write("bus/mmc/devices/mmc0:0001/pre_eol_info", "03\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"ember_mmc_pre_eol_level{device="mmc0:0001"}"#], 3)
    }

    /// The Orange Pi 5 Plus trees: an eMMC with `life_time` `0x01 0x02` and `pre_eol_info` `0x02`,
    /// and an SD card without either file.
    func testFixtureTreeHealth() throws {
        for tree in ["rk3588/opi5plus-v5.10", "rk3588/opi5plus-v6.1", "rk3588/opi5plus-mainline"] {
            let sink = try HardwareHarness.run({ MMCCollector(context: $0) }, roots: Fixtures.roots(tree))
            let values = HardwareHarness.values(sink)

            XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="A"}"#], 1, tree)
            XCTAssertEqual(values[#"ember_mmc_life_time_level{device="mmc0:0001",estimate="B"}"#], 2, tree)
            XCTAssertEqual(values[#"ember_mmc_pre_eol_level{device="mmc0:0001"}"#], 2, tree)
            let cardFamilies = Set(sink.samples.filter { $0.labelValues[0] == "mmc1:aaaa" }.map(\.descriptor.name))
            XCTAssertFalse(cardFamilies.contains("ember_mmc_life_time_level"), tree)
            XCTAssertFalse(cardFamilies.contains("ember_mmc_pre_eol_level"), tree)
            XCTAssertTrue(cardFamilies.contains("ember_mmc_info"), tree)
            XCTAssertTrue(sink.errors.isEmpty, "\(tree): \(sink.errors)")
        }
    }

    func testParseLifeTimeAcceptsUppercase() throws {
        let codes = try MMCHealth.parseLifeTime("0X0A 0x0B", path: "life_time")

        XCTAssertEqual(codes.typeA, 10)
        XCTAssertEqual(codes.typeB, 11)
    }
}

/// The host error counts from debugfs `mmcN/err_stats`.
final class MMCHostErrorTests: XCTestCase {
    private let errorStats = "kernel/debug/mmc0/err_stats"

    private func run(_ tree: HardwareTree, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ MMCCollector(context: $0) }, roots: tree.roots, fileSystem: fileSystem)
    }

    /// Builds an eMMC at `mmc0:0001` whose host printed `lines`, and an SD card whose host has no file.
    private func makeTree(errorStats lines: String) throws -> HardwareTree {
        let tree = try HardwareTree()
        try tree.write("bus/mmc/devices/mmc0:0001/type", "MMC\n")
        try tree.write("bus/mmc/devices/mmc1:aaaa/type", "SD\n")
        try tree.write(errorStats, lines)
        return tree
    }

    private func errorValues(_ sink: MetricSink) -> [String: Double] {
        HardwareHarness.values(sink).filter { $0.key.hasPrefix("ember_mmc_host_errors_total") }
    }

    private func key(_ kind: String, device: String = "mmc0:0001") -> String {
        #"ember_mmc_host_errors_total{device=""# + device + #"",kind=""# + kind + #""}"#
    }

    func testCountsByKind() throws {
        let tree = try makeTree(errorStats: "# Command Timeout Occurred:\t 0\n# Data CRC Errors Occurred:\t 3\n"
            + "# Request Timedout:\t 1\n# Unexpected IRQ errors:\t 0\n")

        let sink = try run(tree)

        XCTAssertEqual(errorValues(sink), [
            key("command_timeout"): 0, key("data_crc"): 3, key("request_timeout"): 1, key("unexpected_irq"): 0,
        ])
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
        XCTAssertTrue(sink.unavailableSources.isEmpty)
    }

    func testChangedErrorStatsAreParsedAgain() throws {
        let tree = try makeTree(errorStats: "# Data CRC Errors Occurred:\t 3\n")
        let collector = MMCCollector(context: HardwareHarness.context(tree.roots))
        var first = MetricSink()
        try collector.update(into: &first)
        XCTAssertEqual(errorValues(first), [key("data_crc"): 3])

        try tree.write(errorStats, "# Data CRC Errors Occurred:\t 4\n# Tuning Error Occurred:\t 1\n")
        var second = MetricSink()
        try collector.update(into: &second)
        XCTAssertEqual(errorValues(second), [key("data_crc"): 4, key("tuning"): 1])

        try tree.write(errorStats, "# Data CRC Errors Occurred:\t three\n")
        var third = MetricSink()
        try collector.update(into: &third)
        XCTAssertTrue(errorValues(third).isEmpty)
        XCTAssertEqual(HardwareHarness.errorPaths(third), [tree.path(errorStats)])
    }

    func testNegativeCountIsUnsigned() throws {
        let tree = try makeTree(errorStats: "# Data CRC Errors Occurred:\t -2147483648\n# ADMA Error Occurred:\t -1\n")

        let values = errorValues(try run(tree))

        XCTAssertEqual(values[key("data_crc")], 2_147_483_648)
        XCTAssertEqual(values[key("adma")], 4_294_967_295)
    }

    func testMalformedFileIsParseError() throws {
        for content in ["# Data CRC Errors Occurred:\t three\n", "Data CRC Errors Occurred 3\n", "\n",
                        "# Data CRC Errors Occurred:\t 3\n# Tuning Error Occurred:\t\n"] {
            let tree = try makeTree(errorStats: content)
            try tree.write("bus/mmc/devices/mmc0:0001/pre_eol_info", "0x01\n")

            let sink = try run(tree)

            XCTAssertTrue(errorValues(sink).isEmpty, content)
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path(errorStats)], content)
            XCTAssertEqual(HardwareHarness.values(sink)[#"ember_mmc_pre_eol_level{device="mmc0:0001"}"#], 1, content)
        }
    }

    func testReadErrorsOmitOnlyHostErrors() throws {
        for code in [EIO, EINVAL, EAGAIN, ENODATA] {
            let tree = try makeTree(errorStats: "# Data CRC Errors Occurred:\t 3\n")
            let fileSystem = FaultInjectingFileSystem()
            fileSystem.inject(code, at: tree.path(errorStats))

            let sink = try run(tree, fileSystem: fileSystem)

            XCTAssertTrue(errorValues(sink).isEmpty, Errno.name(of: code))
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code])
            XCTAssertEqual(sink.samples.filter { $0.descriptor.name == "ember_mmc_info" }.count, 2)
        }
    }

    func testPermissionDeniedNeedsRoot() throws {
        let tree = try makeTree(errorStats: "# Data CRC Errors Occurred:\t 3\n")
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EACCES, at: tree.path(errorStats))

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(sink.unavailableSources.map(\.path), [tree.path(errorStats)])
        XCTAssertEqual(sink.unavailableSources.first?.grantedBy, "root")
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testUnknownDescriptionBecomesLabel() {
        XCTAssertEqual(MMCHealth.errorKind("Data CRC Errors Occurred"), "data_crc")
        XCTAssertEqual(MMCHealth.errorKind("Fancy New-Error  (count)"), "fancy_new_error_count")
    }

    func testFixtureTrees() throws {
        let mainline = try HardwareHarness.run({ MMCCollector(context: $0) },
                                               roots: Fixtures.roots("rk3588/opi5plus-mainline"))
        let values = errorValues(mainline)
        XCTAssertEqual(values.count, 30, "15 kinds for each of the two hosts")
        XCTAssertEqual(values[key("data_crc")], 3)
        XCTAssertEqual(values[key("request_timeout")], 1)
        XCTAssertEqual(values[key("data_crc", device: "mmc1:aaaa")], 0)
        XCTAssertTrue(mainline.errors.isEmpty, "\(mainline.errors)")

        let vendor = try HardwareHarness.run({ MMCCollector(context: $0) }, roots: Fixtures.roots("rk3588/opi5plus-v5.10"))
        XCTAssertTrue(errorValues(vendor).isEmpty, "the 5.10 kernel has no err_stats")
        XCTAssertTrue(vendor.errors.isEmpty, "\(vendor.errors)")
    }
}
