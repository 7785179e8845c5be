@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class NetClassCollectorTests: XCTestCase {
    static let eth0 = "sys/class/net/eth0"

    /// A complete interface as a 1 Gbit/s Ethernet NIC shows it.
    static let attributes: [String: String] = [
        "address": "aa:bb:cc:00:11:22", "broadcast": "ff:ff:ff:ff:ff:ff", "duplex": "full", "ifalias": "uplink",
        "operstate": "up", "addr_assign_type": "0", "carrier": "1", "carrier_changes": "4",
        "carrier_up_count": "2", "carrier_down_count": "2", "dev_id": "0x0", "dormant": "0", "flags": "0x1003",
        "ifindex": "3", "iflink": "3", "link_mode": "0", "mtu": "9000", "name_assign_type": "4",
        "netdev_group": "0", "speed": "1000", "tx_queue_len": "1000", "type": "1",
    ]

    func testAllFamiliesOfOneInterface() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.eth0, Self.attributes)
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots)))
        let expected: [String: Double] = [
            "node_network_info{address=\"aa:bb:cc:00:11:22\",broadcast=\"ff:ff:ff:ff:ff:ff\",device=\"eth0\","
                + "duplex=\"full\",ifalias=\"uplink\",operstate=\"up\"}": 1,
            "node_network_up{device=\"eth0\"}": 1,
            "node_network_address_assign_type{device=\"eth0\"}": 0,
            "node_network_carrier{device=\"eth0\"}": 1,
            "node_network_carrier_changes_total{device=\"eth0\"}": 4,
            "node_network_carrier_up_changes_total{device=\"eth0\"}": 2,
            "node_network_carrier_down_changes_total{device=\"eth0\"}": 2,
            "node_network_device_id{device=\"eth0\"}": 0,
            "node_network_dormant{device=\"eth0\"}": 0,
            "node_network_flags{device=\"eth0\"}": 4099,
            "node_network_iface_id{device=\"eth0\"}": 3,
            "node_network_iface_link{device=\"eth0\"}": 3,
            "node_network_iface_link_mode{device=\"eth0\"}": 0,
            "node_network_mtu_bytes{device=\"eth0\"}": 9000,
            "node_network_name_assign_type{device=\"eth0\"}": 4,
            "node_network_net_dev_group{device=\"eth0\"}": 0,
            "node_network_speed_bytes{device=\"eth0\"}": 125_000_000,
            "node_network_transmit_queue_length{device=\"eth0\"}": 1000,
            "node_network_protocol_type{device=\"eth0\"}": 1,
        ]

        XCTAssertEqual(NetTest.values(sink), expected)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testUnknownSpeedsAreOmitted() throws {
        for speed in ["-1", "0", "65535", "4294967295"] {
            let tree = try NetTestTree()
            try tree.attributes(Self.eth0, ["operstate": "up", "mtu": "1500", "speed": speed])
            let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots)))

            XCTAssertTrue(NetTest.family("node_network_speed_bytes", in: sink).isEmpty, speed)
            XCTAssertEqual(NetTest.family("node_network_mtu_bytes", in: sink).count, 1, speed)
            XCTAssertTrue(sink.errors.isEmpty, speed)
        }
    }

    func testSpeedConversion() {
        XCTAssertEqual(NetClassCollector.speedBytes(megabitsPerSecond: 2500), 312_500_000)
        XCTAssertEqual(NetClassCollector.speedBytes(megabitsPerSecond: 100_000), 12_500_000_000)
        XCTAssertNil(NetClassCollector.speedBytes(megabitsPerSecond: -1))
    }

    func testByteParserMatchesTextParser() {
        let cases = [
            "1500\n", "0x1003\n", "0xABCdef\n", "-1\n", "-0\n", "007\n", "0\n", "\n", "", "0x\n", "0x-1\n",
            "+5\n", " 5\n", "5 \t\r\0\n", "-\n", "--1\n", "1x2\n", "0X10\n", "999999999999999999\n",
            "9223372036854775807\n", "9223372036854775808\n", "-9223372036854775808\n", "0xfffffffffffffff\n",
            "0x7fffffffffffffff\n", "0x8000000000000000\n", "1\u{301}\n", "\u{FF11}\n",
        ]
        for text in cases {
            let bytes = Array(text.utf8)
            let fast = Result { try NetClassCollector.integer(bytes, path: "a") }
            let reference = Result { try NetClassCollector.parseInteger(Text.attributeString(bytes), path: "a") }
            switch (fast, reference) {
            case (.success(let value), .success(let expected)):
                XCTAssertEqual(value, expected, text.debugDescription)
            case (.failure(let error), .failure(let expected)):
                XCTAssertEqual(error as? ParseError, expected as? ParseError, text.debugDescription)
            default:
                XCTFail("one parser failed and the other did not: \(text.debugDescription)")
            }
        }
        XCTAssertEqual(try NetClassCollector.integer(Array("0x1003\n".utf8), path: "a"), 0x1003)
    }

    func testAdminDownInterfaceOmitsEINVALAttributesSilently() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.eth0, Self.attributes.merging(["operstate": "down"]) { $1 })
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/eth0/carrier": EINVAL, "/eth0/speed": EINVAL, "/eth0/duplex": EINVAL]
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem)))
        let values = NetTest.values(sink)

        XCTAssertNil(values["node_network_carrier{device=\"eth0\"}"])
        XCTAssertNil(values["node_network_speed_bytes{device=\"eth0\"}"])
        XCTAssertEqual(values["node_network_up{device=\"eth0\"}"], 0)
        XCTAssertEqual(values["node_network_info{address=\"aa:bb:cc:00:11:22\",broadcast=\"ff:ff:ff:ff:ff:ff\","
            + "device=\"eth0\",duplex=\"\",ifalias=\"uplink\",operstate=\"down\"}"], 1)
        XCTAssertEqual(values["node_network_mtu_bytes{device=\"eth0\"}"], 9000)
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertTrue(sink.unavailableSources.isEmpty)
    }

    func testFailedReadsAreRecordedAndOmitted() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.eth0, Self.attributes)
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/eth0/mtu": EIO, "/eth0/operstate": EAGAIN]
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem)))

        XCTAssertTrue(NetTest.family("node_network_mtu_bytes", in: sink).isEmpty)
        XCTAssertTrue(NetTest.family("node_network_info", in: sink).isEmpty, "a failed label read omits the series")
        XCTAssertTrue(NetTest.family("node_network_up", in: sink).isEmpty)
        XCTAssertEqual(NetTest.family("node_network_flags", in: sink), ["node_network_flags{device=\"eth0\"}": 4099])
        XCTAssertEqual(Set(sink.errors.compactMap { ($0 as? FileError)?.code }), [EIO, EAGAIN])
    }

    func testEINVALOnOperstateIsAnError() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.eth0, Self.attributes)
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/eth0/operstate": EINVAL]
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem)))

        XCTAssertTrue(NetTest.family("node_network_up", in: sink).isEmpty, "a failed read is never up 0")
        XCTAssertTrue(NetTest.family("node_network_info", in: sink).isEmpty)
        XCTAssertEqual(sink.errors.compactMap { ($0 as? FileError)?.code }, [EINVAL])
    }

    func testUnregisteringInterfaceAddsNoInfo() throws {
        for file in ["address", "broadcast"] {
            let tree = try NetTestTree()
            try tree.attributes(Self.eth0, Self.attributes)
            let fileSystem = NetFaultFileSystem()
            // The kernel returns EINVAL once the device is no longer alive.
            fileSystem.failures = ["/eth0/" + file: EINVAL]
            let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem)))

            XCTAssertTrue(NetTest.family("node_network_info", in: sink).isEmpty, file)
            XCTAssertTrue(NetTest.family("node_network_up", in: sink).isEmpty, file)
            XCTAssertTrue(sink.errors.isEmpty, file)
        }
    }

    func testGarbageAndEmptyAttributesAreParseErrors() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.eth0, ["operstate": "up", "mtu": "lots", "flags": "0xZZ"])
        try tree.write(Self.eth0 + "/speed", "")
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots)))

        XCTAssertEqual(sink.errors.count, 3)
        XCTAssertTrue(sink.errors.allSatisfy { $0 is ParseError })
        XCTAssertEqual(NetTest.family("node_network_up", in: sink), ["node_network_up{device=\"eth0\"}": 1])
        XCTAssertTrue(NetTest.family("node_network_mtu_bytes", in: sink).isEmpty)
    }

    func testVanishedInterfaceAddsNothing() throws {
        let tree = try NetTestTree()
        try tree.makeDirectory(Self.eth0)
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testInvalidUTF8AliasBecomesOneReplacement() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.eth0, ["operstate": "up"])
        try tree.write(Self.eth0 + "/ifalias", bytes: [0x61, 0xC0, 0xC0, 0x62, 0x0A])
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots)))

        XCTAssertEqual(NetTest.family("node_network_info", in: sink), [
            "node_network_info{address=\"\",broadcast=\"\",device=\"eth0\",duplex=\"\",ifalias=\"a\u{FFFD}b\","
                + "operstate=\"up\"}": 1,
        ])
    }

    func testHexParsing() throws {
        XCTAssertEqual(try NetClassCollector.parseInteger("0x1303", path: "flags"), 4867)
        XCTAssertEqual(try NetClassCollector.parseInteger("-1", path: "speed"), -1)
        XCTAssertThrowsError(try NetClassCollector.parseInteger("0x", path: "flags"))
    }

    func testBondingMastersFileIsSkipped() throws {
        let tree = try NetTestTree()
        try tree.write("sys/class/net/bonding_masters", "bond0\n")
        try tree.attributes("sys/class/net/bond0", ["operstate": "up", "mtu": "1500"])
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots)))

        XCTAssertEqual(
            NetTest.family("node_network_mtu_bytes", in: sink), ["node_network_mtu_bytes{device=\"bond0\"}": 1500])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testMissingSubsystemAddsNothing() throws {
        let tree = try NetTestTree()
        let sink = try NetTest.run(NetClassCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }
}
