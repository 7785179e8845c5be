@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// Runs the pcie collector once on a sysfs root or, with `dump`, on an `lspci -xxxx` file.
private func runPCIe(
    roots: SourceRoots = SourceRoots(sysfs: "/nonexistent"), dump: String? = nil,
    fileSystem: any FileSystem = SystemFileSystem()
) throws -> MetricSink {
    var options: [String: String] = [:]
    if let dump {
        options[PCIeCollector.dumpFlag] = Fixtures.directory + "/pcie/" + dump
    }
    let context = CollectorContext(
        reader: SourceReader(roots: roots, fileSystem: fileSystem), logger: Logger(level: .error),
        options: CollectorOptions(options))
    var sink = MetricSink()
    try PCIeCollector(context: context).update(into: &sink)
    return sink
}

private func info(_ sink: MetricSink, _ address: String) -> [String: String]? {
    let sample = sink.samples.first { $0.descriptor.name == "ember_pcie_device_info" && $0.labelValues[0] == address }
    guard let sample else { return nil }
    return Dictionary(uniqueKeysWithValues: zip(sample.descriptor.labelNames, sample.labelValues))
}

final class PCIeParsingTests: XCTestCase {
    func testAddressRoundTrips() {
        XCTAssertEqual(PCIAddress("0004:41:00.0")?.description, "0004:41:00.0")
        XCTAssertEqual(PCIAddress("0000:00:1f.3"), PCIAddress(domain: 0, bus: 0, device: 0x1F, function: 3))
        XCTAssertEqual(PCIAddress("10000:e1:00.0")?.domain, 0x10000, "VMD domains have five digits")
        for invalid in ["pci0000:00", "0000:00:00", "0000:00:20.0", "0000:00:00.8", "0000:0g:00.0", ""] {
            XCTAssertNil(PCIAddress(invalid), invalid)
        }
    }

    func testAddressEdgeCases() {
        XCTAssertEqual(PCIAddress("ABCD:EF:1F.7"), PCIAddress(domain: 0xABCD, bus: 0xEF, device: 0x1F, function: 7))
        XCTAssertEqual(PCIAddress("ffffffff:00:00.0")?.domain, 0xFFFF_FFFF)
        let invalid = [
            "000:00:00.0", "000000000:00:00.0", "0000:000:00.0", "0000:00:000.0", "0000:00:00.00", "0000.00:00.0",
            "0000:00.00:0", "0000:00:00:0", "+000:00:00.0", "0000:00:00.\u{FF10}", "\u{FF10}000:00:00.0",
            "0000:00:00.0 ", " 0000:00:00.0", "0000:00:00.0\u{301}",
        ]
        for text in invalid {
            XCTAssertNil(PCIAddress(text), text)
        }
    }

    func testHexStringPadsAndExtends() {
        XCTAssertEqual(hexString(0, width: 4), "0000")
        XCTAssertEqual(hexString(0, width: 0), "0")
        XCTAssertEqual(hexString(0x10EC as UInt16, width: 4), "10ec")
        XCTAssertEqual(hexString(0x10000, width: 4), "10000")
        XCTAssertEqual(hexString(UInt64.max, width: 4), "ffffffffffffffff")
        XCTAssertEqual(hexString(-5, width: 4), "00-5", "the sign counts as a digit, as before")
    }

    func testLinkSpeedFormats() throws {
        XCTAssertEqual(try PCIeLinkDecoding.parseSpeed("8.0 GT/s PCIe\n", path: "p"), 8)
        XCTAssertEqual(try PCIeLinkDecoding.parseSpeed("2.5 GT/s PCIe", path: "p"), 2.5)
        XCTAssertEqual(try PCIeLinkDecoding.parseSpeed("5 GT/s", path: "p"), 5, "kernels before 5.3")
        XCTAssertNil(try PCIeLinkDecoding.parseSpeed("Unknown", path: "p"))
        XCTAssertNil(try PCIeLinkDecoding.parseSpeed("Unknown speed", path: "p"))
        for invalid in ["", "fast", "8.0 MB/s", "-1 GT/s"] {
            XCTAssertThrowsError(try PCIeLinkDecoding.parseSpeed(invalid, path: "p"), invalid)
        }
    }

    func testLinkWidthFormats() throws {
        XCTAssertEqual(try PCIeLinkDecoding.parseWidth("4\n", path: "p"), 4)
        XCTAssertEqual(try PCIeLinkDecoding.parseWidth("0\n", path: "p"), 0, "a link that is down")
        XCTAssertNil(try PCIeLinkDecoding.parseWidth("255\n", path: "p"), "PCIE_LNK_WIDTH_UNKNOWN")
        for invalid in ["", "x4", "four"] {
            XCTAssertThrowsError(try PCIeLinkDecoding.parseWidth(invalid, path: "p"), invalid)
        }
    }

    /// QEMU 7.2's virtio devices have a PCI Express capability whose Link Capabilities read 0.
    func testConfigWithZeroLinkCapabilities() {
        var config = [UInt8](repeating: 0, count: 256)
        config[0x06] = 0x10
        config[0x34] = 0x40
        config[0x40] = 0x10
        config[0x52] = 0x11

        let link = PCIeLinkDecoding.link(fromConfig: config)

        XCTAssertEqual(link?.currentSpeed, 2.5)
        XCTAssertEqual(link?.currentWidth, 1)
        XCTAssertNil(link?.maxSpeed)
        XCTAssertNil(link?.maxWidth)
        XCTAssertNil(link?.isDowngraded)
    }

    func testAERFileParses() throws {
        let report = try AERDeviceReport.parse(
            "RxErr 2\nBadTLP 1\nTOTAL_ERR_COR 3\n", severity: .correctable, path: "p")
        XCTAssertEqual(report.counts, [AERKindCount(kind: "RxErr", count: 2), AERKindCount(kind: "BadTLP", count: 1)])
        XCTAssertEqual(report.total, 3)
    }

    func testAERFileAllowsExtraSpaces() throws {
        let report = try AERDeviceReport.parse(
            "  RxErr   2  \nTOTAL_ERR_COR 2\n", severity: .correctable, path: "p")
        XCTAssertEqual(report.counts, [AERKindCount(kind: "RxErr", count: 2)])
        XCTAssertEqual(report.total, 2)
    }

    func testAERFileRejectsGarbage() {
        for content in ["", "RxErr\n", "RxErr two\n", "RxErr -1\n", "RxErr 1 2\n", "RxErr \n", " 5\n", "RxErr 1x\n"] {
            XCTAssertThrowsError(try AERDeviceReport.parse(content, severity: .fatal, path: "p"), content)
        }
    }

    func testConfigWithoutCapabilityListHasNoLink() {
        var config = [UInt8](repeating: 0, count: 256)
        config[0x34] = 0x40
        config[0x40] = 0x10
        XCTAssertNil(PCIeLinkDecoding.link(fromConfig: config), "status bit 4 is clear")
    }

    func testConfigCapabilityLoopEnds() {
        var config = [UInt8](repeating: 0, count: 256)
        config[0x06] = 0x10
        config[0x34] = 0x40
        config[0x40] = 0x01
        config[0x41] = 0x40
        XCTAssertNil(PCIeLinkDecoding.expressCapabilityOffset(in: config))
    }
}

final class PCIeDumpTests: XCTestCase {
    func testDumpReadsAgainEachRun() throws {
        let context = CollectorContext(
            reader: SourceReader(roots: SourceRoots(sysfs: "/nonexistent")), logger: Logger(level: .error),
            options: CollectorOptions([PCIeCollector.dumpFlag: Fixtures.directory + "/pcie/downtrained.lspci"]))
        let collector = try PCIeCollector(context: context)

        for run in 1...3 {
            var sink = MetricSink()
            try collector.update(into: &sink)
            XCTAssertEqual(sink.samples.filter { $0.descriptor.name == "ember_pcie_device_info" }.count, 2, "run \(run)")
        }
    }

    /// Both ends support 8 GT/s x4 and the link trained at 2.5 GT/s x1, so both ends carry the flag.
    func testDowntrainedLinkIsFlagged() throws {
        let values = HardwareHarness.values(try runPCIe(dump: "downtrained.lspci"))

        for address in ["0000:00:00.0", "0000:01:00.0"] {
            let labels = "{address=\"\(address)\"}"
            XCTAssertEqual(values["ember_pcie_link_downgraded" + labels], 1, address)
            XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second" + labels], 2.5e9, address)
            XCTAssertEqual(values["ember_pcie_link_max_speed_transfers_per_second" + labels], 8e9, address)
            XCTAssertEqual(values["ember_pcie_link_width_lanes" + labels], 1, address)
            XCTAssertEqual(values["ember_pcie_link_max_width_lanes" + labels], 4, address)
        }
    }

    func testOrangePiDumpNamesEveryFunction() throws {
        let sink = try runPCIe(dump: "opi5plus.lspci")

        let addresses = sink.samples.filter { $0.descriptor.name == "ember_pcie_device_info" }.map { $0.labelValues[0] }
        XCTAssertEqual(addresses, ["0000:00:00.0", "0000:01:00.0", "0002:20:00.0", "0002:21:00.0", "0003:30:00.0",
                                   "0003:31:00.0", "0004:40:00.0", "0004:41:00.0"])
        let nic = try XCTUnwrap(info(sink, "0003:31:00.0"))
        XCTAssertEqual(nic["vendor_id"], "0x10ec")
        XCTAssertEqual(nic["device_id"], "0x8125")
        XCTAssertEqual(nic["class_id"], "0x020000")
        XCTAssertEqual(nic["vendor_name"], "Realtek Semiconductor Co., Ltd.")
        XCTAssertEqual(nic["device_name"], "RTL8125 2.5GbE Controller")
        XCTAssertEqual(nic["class_name"], "Ethernet controller")
        XCTAssertEqual(nic["driver"], "", "a dump has no drivers")
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    /// The E-key root port 0002:20:00.0 supports 5 GT/s and trained at 2.5 GT/s, the maximum of
    /// the Gen 1 Wi-Fi card below it, so no link on the board is below what both its ends support.
    func testOrangePiDumpFlagsNoLink() throws {
        let sink = try runPCIe(dump: "opi5plus.lspci")
        let values = HardwareHarness.values(sink)

        let flags = values.filter { $0.key.hasPrefix("ember_pcie_link_downgraded") }
        XCTAssertEqual(flags.count, 8)
        XCTAssertEqual(flags.filter { $0.value != 0 }, [:])
        XCTAssertEqual(values["ember_pcie_link_max_speed_transfers_per_second{address=\"0002:20:00.0\"}"], 5e9)
        XCTAssertEqual(info(sink, "0002:21:00.0")?["parent"], "0002:20:00.0", "from the port's secondary bus")
        XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second{address=\"0000:01:00.0\"}"], 8e9)
        XCTAssertEqual(values["ember_pcie_link_width_lanes{address=\"0000:01:00.0\"}"], 4)
    }

    /// `lspci -D -xxxx` from a QEMU 7.2 q35 guest (Tests/qemu), the only dump captured from a kernel.
    func testQEMUDumpLinks() throws {
        let sink = try runPCIe(dump: "qemu-q35.dump")
        let values = HardwareHarness.values(sink)

        // Root port 00:01.0 is set to 8 GT/s x4 and 00:03.0 keeps QEMU's default 16 GT/s x32.
        // QEMU 7.2 trains every link at 2.5 GT/s x1. Its root ports leave Data Link Layer Link
        // Active clear even with a device behind them, and the device on the secondary bus shows
        // the link is up. Every QEMU endpoint advertises 2.5 GT/s x1, so each link runs at what
        // both ends support and none is flagged.
        let expected: [String: (Double, Double, Double)] = [
            "0000:00:01.0": (8e9, 4, 0), "0000:00:02.0": (2.5e9, 1, 0), "0000:00:03.0": (16e9, 32, 0),
            "0000:01:00.0": (2.5e9, 1, 0), "0000:03:00.0": (2.5e9, 1, 0),
        ]
        for (address, (maxSpeed, maxWidth, downgraded)) in expected {
            let labels = "{address=\"\(address)\"}"
            XCTAssertEqual(values["ember_pcie_link_max_speed_transfers_per_second" + labels], maxSpeed, address)
            XCTAssertEqual(values["ember_pcie_link_max_width_lanes" + labels], maxWidth, address)
            XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second" + labels], 2.5e9, address)
            XCTAssertEqual(values["ember_pcie_link_width_lanes" + labels], 1, address)
            XCTAssertEqual(values["ember_pcie_link_downgraded" + labels], downgraded, address)
        }
        let nvme = try XCTUnwrap(info(sink, "0000:01:00.0"))
        XCTAssertEqual(nvme["vendor_id"], "0x1b36")
        XCTAssertEqual(nvme["device_id"], "0x0010")
        XCTAssertEqual(nvme["class_id"], "0x010802")
        XCTAssertEqual(nvme["parent"], "0000:00:01.0")
        XCTAssertEqual(info(sink, "0000:00:01.0")?["parent"], "", "a root port sits on the host bridge")
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    /// A bridge whose secondary bus reads 0 is unconfigured, so the functions on bus 0 are not below it.
    func testDumpParentsFromSecondaryBus() throws {
        let addresses = ["0000:00:01.0", "0000:00:02.0", "0000:01:00.0"].compactMap(PCIAddress.init)
        var devices = addresses.map { PCIDeviceReading(address: $0) }

        DumpPCIDevices.assignParents(&devices, secondaryBuses: [addresses[0]: 1, addresses[1]: 0])

        XCTAssertNil(devices[0].parent)
        XCTAssertNil(devices[1].parent)
        XCTAssertEqual(devices[2].parent, addresses[0])
    }

    func testEmptySlotIsNotDowngraded() throws {
        let values = HardwareHarness.values(try runPCIe(dump: "empty-slot.lspci"))

        let labels = "{address=\"0000:00:00.0\"}"
        XCTAssertNil(values["ember_pcie_link_downgraded" + labels], "DLActive is clear")
        XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second" + labels], 2.5e9)
        XCTAssertEqual(values["ember_pcie_link_max_width_lanes" + labels], 4)
    }

    /// The drive below supports the port's 8 GT/s x4, so the 2.5 GT/s x1 link is flagged at both ends.
    func testLinkActiveClearWithDeviceBelow() throws {
        let values = HardwareHarness.values(try runPCIe(dump: "link-active-clear.lspci"))

        XCTAssertEqual(values["ember_pcie_link_downgraded{address=\"0000:00:00.0\"}"], 1, "the drive answers below")
        XCTAssertEqual(values["ember_pcie_link_downgraded{address=\"0000:01:00.0\"}"], 1)
        XCTAssertEqual(values["ember_pcie_link_max_speed_transfers_per_second{address=\"0000:00:00.0\"}"], 8e9)
        XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second{address=\"0000:00:00.0\"}"], 2.5e9)
    }

    func testUnknownIDsFallBackToHex() throws {
        let sink = try runPCIe(dump: "unknown-ids.lspci")

        let unknownVendor = try XCTUnwrap(info(sink, "0000:01:00.0"))
        XCTAssertEqual(unknownVendor["vendor_name"], "0xf00d")
        XCTAssertEqual(unknownVendor["device_name"], "0x0001")
        XCTAssertEqual(unknownVendor["class_name"], "0x3f0000")
        let unknownDevice = try XCTUnwrap(info(sink, "0001:11:00.0"))
        XCTAssertEqual(unknownDevice["vendor_name"], "Rockchip Electronics Co., Ltd")
        XCTAssertEqual(unknownDevice["device_name"], "0x9999")
        XCTAssertEqual(unknownDevice["class_name"], "Ethernet controller")
    }

    func testMissingDumpFileFailsWithMessage() {
        XCTAssertThrowsError(try runPCIe(dump: "absent.lspci")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("absent.lspci"), message)
        }
    }
}

final class PCIeSysfsTests: XCTestCase {
    func testFixtureTreesReadAERCounts() throws {
        for tree in ["rk3588/opi5plus-v5.10", "rk3588/opi5plus-v6.1", "rk3588/opi5plus-mainline"] {
            let sink = try runPCIe(roots: Fixtures.roots(tree))
            let values = HardwareHarness.values(sink)

            let nic = "address=\"0003:31:00.0\""
            XCTAssertEqual(values["ember_pcie_aer_errors_total{\(nic),kind=\"RxErr\",severity=\"correctable\"}"], 2, tree)
            XCTAssertEqual(values["ember_pcie_aer_errors_total{\(nic),kind=\"BadTLP\",severity=\"correctable\"}"], 1, tree)
            XCTAssertEqual(values["ember_pcie_aer_errors_total{\(nic),kind=\"MalfTLP\",severity=\"fatal\"}"], 0, tree)
            XCTAssertEqual(values["ember_pcie_aer_reports_total{\(nic),severity=\"correctable\"}"], 3, tree)
            XCTAssertEqual(values["ember_pcie_aer_rootport_reports_total{address=\"0003:30:00.0\",severity=\"correctable\"}"],
                           3, tree)
            XCTAssertNil(values["ember_pcie_aer_rootport_reports_total{\(nic),severity=\"correctable\"}"], tree)
            XCTAssertTrue(sink.errors.isEmpty, "\(tree): \(sink.errors)")
        }
    }

    func testFixtureTreeDriversAndParents() throws {
        let sink = try runPCIe(roots: Fixtures.roots("rk3588/opi5plus-mainline"))

        let nvme = try XCTUnwrap(info(sink, "0000:01:00.0"))
        XCTAssertEqual(nvme["driver"], "nvme")
        XCTAssertEqual(nvme["parent"], "0000:00:00.0")
        XCTAssertEqual(nvme["class_name"], "Non-Volatile memory controller")
        let port = try XCTUnwrap(info(sink, "0000:00:00.0"))
        XCTAssertEqual(port["driver"], "pcieport")
        XCTAssertEqual(port["parent"], "", "a root port sits on the host bridge")
        XCTAssertEqual(info(sink, "0004:41:00.0")?["driver"], "r8169")
    }

    /// 0002:20:00.0 trained at 2.5 GT/s of its 5 GT/s, which is the maximum of the Gen 1 Wi-Fi card
    /// below it, so the link is not flagged.
    func testFixtureTreeLinksFromSysfs() throws {
        let values = HardwareHarness.values(try runPCIe(roots: Fixtures.roots("rk3588/opi5plus-v6.1")))

        XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second{address=\"0002:20:00.0\"}"], 2.5e9)
        XCTAssertEqual(values["ember_pcie_link_max_speed_transfers_per_second{address=\"0002:20:00.0\"}"], 5e9)
        XCTAssertEqual(values["ember_pcie_link_max_speed_transfers_per_second{address=\"0002:21:00.0\"}"], 2.5e9)
        XCTAssertEqual(values["ember_pcie_link_downgraded{address=\"0002:20:00.0\"}"], 0)
        XCTAssertEqual(values["ember_pcie_link_downgraded{address=\"0000:01:00.0\"}"], 0)
        XCTAssertEqual(values["ember_pcie_link_max_width_lanes{address=\"0000:01:00.0\"}"], 4)
    }

    /// The kernel prints 255 and `Unknown` when the Link Capabilities register reads 0, as a
    /// virtio-net device in QEMU 7.2 does. Neither is a real value.
    func testUnknownLinkCapabilityIsOmitted() throws {
        let tree = try HardwareTree()
        let directory = "bus/pci/devices/0000:03:00.0/"
        try tree.write(directory + "vendor", "0x1af4\n")
        try tree.write(directory + "device", "0x1041\n")
        try tree.write(directory + "class", "0x020000\n")
        try tree.write(directory + "current_link_speed", "2.5 GT/s PCIe\n")
        try tree.write(directory + "current_link_width", "1\n")
        try tree.write(directory + "max_link_speed", "Unknown\n")
        try tree.write(directory + "max_link_width", "255\n")

        let sink = try runPCIe(roots: tree.roots)

        let values = HardwareHarness.values(sink)
        XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second{address=\"0000:03:00.0\"}"], 2.5e9)
        XCTAssertEqual(values["ember_pcie_link_width_lanes{address=\"0000:03:00.0\"}"], 1)
        XCTAssertNil(values["ember_pcie_link_max_speed_transfers_per_second{address=\"0000:03:00.0\"}"])
        XCTAssertNil(values["ember_pcie_link_max_width_lanes{address=\"0000:03:00.0\"}"])
        XCTAssertNil(values["ember_pcie_link_downgraded{address=\"0000:03:00.0\"}"])
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    /// The dump and the v6.1 tree describe the same board, so sysfs and configuration space agree.
    func testDumpAndTreeLinksAgree() throws {
        let fromTree = HardwareHarness.values(try runPCIe(roots: Fixtures.roots("rk3588/opi5plus-v6.1")))
        let fromDump = HardwareHarness.values(try runPCIe(dump: "opi5plus.lspci"))

        let linkFamilies = { (values: [String: Double]) in values.filter { $0.key.hasPrefix("ember_pcie_link_") } }
        XCTAssertEqual(linkFamilies(fromTree), linkFamilies(fromDump))
        XCTAssertEqual(linkFamilies(fromTree).count, 8 * 5)
    }

    func testLinkFromConfigSpaceWithoutSysfsAttributes() throws {
        let sink = try runPCIe(roots: Fixtures.roots("pcie/config-only"))
        let values = HardwareHarness.values(sink)

        let labels = "{address=\"0000:01:00.0\"}"
        XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second" + labels], 5e9)
        XCTAssertEqual(values["ember_pcie_link_width_lanes" + labels], 2)
        XCTAssertEqual(values["ember_pcie_link_max_speed_transfers_per_second" + labels], 8e9)
        XCTAssertEqual(values["ember_pcie_link_max_width_lanes" + labels], 4)
        XCTAssertEqual(values["ember_pcie_link_downgraded" + labels], 1, "no parent, so its own maximum counts")
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    /// Without CAP_SYS_ADMIN the kernel's `config` file ends after 64 bytes.
    func testShortConfigIsUnavailableOnce() throws {
        let tree = try HardwareTree()
        for address in ["0000:01:00.0", "0000:02:00.0"] {
            let directory = "bus/pci/devices/" + address
            try tree.write(directory + "/vendor", "0x15b7\n")
            try tree.write(directory + "/device", "0x501a\n")
            try tree.write(directory + "/class", "0x010802\n")
            try tree.write(directory + "/config", bytes: Array(try configHeader()))
        }

        let context = CollectorContext(
            reader: SourceReader(roots: tree.roots), logger: Logger(level: .error), options: CollectorOptions())
        let collector = try PCIeCollector(context: context)
        var first = MetricSink()
        try collector.update(into: &first)
        var sink = MetricSink()
        try collector.update(into: &sink)

        XCTAssertEqual(first.unavailableSources.map(\.path), [tree.path("bus/pci/devices/0000:01:00.0/config")])
        XCTAssertEqual(sink.unavailableSources.map(\.path), [tree.path("bus/pci/devices/0000:01:00.0/config")],
                       "every run reports the source, from the remembered outcome")
        XCTAssertEqual(sink.unavailableSources.first?.grantedBy, "CAP_SYS_ADMIN")
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
        XCTAssertNotNil(info(sink, "0000:02:00.0"), "identity still comes from sysfs")
        XCTAssertFalse(sink.samples.contains { $0.descriptor.name.hasPrefix("ember_pcie_link") })
    }

    private func configHeader() throws -> [UInt8] {
        let path = Fixtures.directory + "/pcie/config-only/sys/bus/pci/devices/0000:01:00.0/config"
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(64))
    }

    func testFaultsOmitOnlyTheirSeries() throws {
        let roots = Fixtures.roots("rk3588/opi5plus-mainline")
        let nic = roots.sys("bus/pci/devices/0003:31:00.0")
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: nic + "/current_link_speed")
        fileSystem.inject(EINVAL, at: nic + "/aer_dev_correctable")
        fileSystem.inject(EAGAIN, at: roots.sys("bus/pci/devices/0004:41:00.0/vendor"))

        let sink = try runPCIe(roots: roots, fileSystem: fileSystem)
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(HardwareHarness.errorCodes(sink).sorted(), [EIO, EINVAL, EAGAIN].sorted())
        XCTAssertNil(values["ember_pcie_link_speed_transfers_per_second{address=\"0003:31:00.0\"}"])
        XCTAssertNil(values["ember_pcie_link_downgraded{address=\"0003:31:00.0\"}"], "needs all four values")
        XCTAssertEqual(values["ember_pcie_link_width_lanes{address=\"0003:31:00.0\"}"], 1)
        XCTAssertNil(values["ember_pcie_aer_reports_total{address=\"0003:31:00.0\",severity=\"correctable\"}"])
        XCTAssertEqual(values["ember_pcie_aer_reports_total{address=\"0003:31:00.0\",severity=\"fatal\"}"], 0)
        XCTAssertNil(info(sink, "0004:41:00.0"), "no identity without the vendor ID")
        XCTAssertEqual(values["ember_pcie_link_width_lanes{address=\"0004:41:00.0\"}"], 1)
    }

    func testGarbageFilesAreErrorsNotNumbers() throws {
        let tree = try HardwareTree()
        let directory = "bus/pci/devices/0000:01:00.0"
        try tree.write(directory + "/vendor", "0x15b7\n")
        try tree.write(directory + "/device", "0x501a\n")
        try tree.write(directory + "/class", "garbage\n")
        try tree.write(directory + "/current_link_speed", "Unknown\n")
        try tree.write(directory + "/current_link_width", "\n")
        try tree.write(directory + "/max_link_speed", "8.0 GT/s PCIe\n")
        try tree.write(directory + "/max_link_width", "4\n")
        try tree.write(directory + "/aer_dev_fatal", "DLP 1\nSDES")

        let sink = try runPCIe(roots: tree.roots)
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(HardwareHarness.errorPaths(sink), [
            tree.path(directory + "/aer_dev_fatal"), tree.path(directory + "/class"),
            tree.path(directory + "/current_link_width"),
        ])
        XCTAssertEqual(values, ["ember_pcie_link_max_speed_transfers_per_second{address=\"0000:01:00.0\"}": 8e9,
                                "ember_pcie_link_max_width_lanes{address=\"0000:01:00.0\"}": 4])
    }

    func testChangedAERFileIsParsedAgain() throws {
        let tree = try HardwareTree()
        let directory = "bus/pci/devices/0000:01:00.0"
        try tree.write(directory + "/vendor", "0x15b7\n")
        try tree.write(directory + "/device", "0x501a\n")
        try tree.write(directory + "/class", "0x010802\n")
        try tree.write(directory + "/aer_dev_fatal", "DLP 1\nTOTAL_ERR_FATAL 1\n")
        let context = CollectorContext(
            reader: SourceReader(roots: tree.roots), logger: Logger(level: .error), options: CollectorOptions([:]))
        let collector = try PCIeCollector(context: context)
        let errors = #"ember_pcie_aer_errors_total{address="0000:01:00.0",kind="DLP",severity="fatal"}"#
        let reports = #"ember_pcie_aer_reports_total{address="0000:01:00.0",severity="fatal"}"#
        func run() throws -> MetricSink {
            var sink = MetricSink()
            try collector.update(into: &sink)
            return sink
        }

        let first = HardwareHarness.values(try run())
        let unchanged = HardwareHarness.values(try run())
        try tree.write(directory + "/aer_dev_fatal", "DLP 2\nTOTAL_ERR_FATAL 3\n")
        let changed = HardwareHarness.values(try run())
        try tree.write(directory + "/aer_dev_fatal", "DLP 2\nSDES")
        let garbage = try run()

        XCTAssertEqual(first[errors], 1)
        XCTAssertEqual(first[reports], 1)
        XCTAssertEqual(unchanged, first)
        XCTAssertEqual(changed[errors], 2)
        XCTAssertEqual(changed[reports], 3)
        XCTAssertNil(HardwareHarness.values(garbage)[errors])
        XCTAssertEqual(HardwareHarness.errorPaths(garbage), [tree.path(directory + "/aer_dev_fatal")])
    }

    func testBridgeWithoutChildrenIsNotDowngraded() throws {
        let tree = try HardwareTree()
        for (port, child) in [("0000:00:00.0", nil), ("0001:10:00.0", "0001:11:00.0")] as [(String, String?)] {
            let directory = "devices/platform/pcie/" + port
            try tree.write(directory + "/vendor", "0x1d87\n")
            try tree.write(directory + "/device", "0x3588\n")
            try tree.write(directory + "/class", "0x060400\n")
            try tree.write(directory + "/current_link_speed", "2.5 GT/s PCIe\n")
            try tree.write(directory + "/current_link_width", "1\n")
            try tree.write(directory + "/max_link_speed", "8.0 GT/s PCIe\n")
            try tree.write(directory + "/max_link_width", "4\n")
            if let child {
                try tree.write(directory + "/" + child + "/vendor", "0x15b7\n")
            }
            try tree.link("bus/pci/devices/" + port, to: tree.path(directory))
        }

        let values = HardwareHarness.values(try runPCIe(roots: tree.roots))

        XCTAssertNil(values["ember_pcie_link_downgraded{address=\"0000:00:00.0\"}"], "empty slot")
        XCTAssertEqual(values["ember_pcie_link_downgraded{address=\"0001:10:00.0\"}"], 1,
                       "the function below is not in bus/pci/devices, so the port's own maximum counts")
        XCTAssertEqual(values["ember_pcie_link_speed_transfers_per_second{address=\"0000:00:00.0\"}"], 2.5e9)
    }

    func testMissingBusIsAbsentNotAnError() throws {
        let tree = try HardwareTree()

        let sink = try runPCIe(roots: tree.roots)

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }
}

/// Checks on this machine's own `/sys/bus/pci`, asserting only what is true on any Linux host.
final class PCIeHostTests: XCTestCase {
    func testHostFunctionsMatchSysfsIDs() throws {
        let devices = "/sys/bus/pci/devices"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: devices)) ?? []
        try XCTSkipIf(entries.isEmpty, "this machine has no PCI bus")

        let sink = try runPCIe(roots: SourceRoots())

        for entry in entries {
            let vendor = try String(contentsOfFile: devices + "/" + entry + "/vendor", encoding: .utf8)
            let labels = try XCTUnwrap(info(sink, entry), entry)
            XCTAssertEqual(labels["vendor_id"], vendor.trimmingCharacters(in: .whitespacesAndNewlines), entry)
            XCTAssertFalse(labels["vendor_name", default: ""].isEmpty, entry)
        }
    }

    func testLibpciNamesFromInstalledIDs() throws {
        let libpci = try LibPCIAccess(.sysfs(busPath: "/sys/bus/pci"))

        XCTAssertEqual(libpci.vendorName(0x10EC), "Realtek Semiconductor Co., Ltd.")
        XCTAssertEqual(libpci.className(0x010802), "Non-Volatile memory controller")
        XCTAssertNil(libpci.vendorName(0xF00D))
        libpci.releaseNames()
        XCTAssertEqual(libpci.vendorName(0x8086), "Intel Corporation", "names load again after release")
    }
}
