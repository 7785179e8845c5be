import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class BondingCollectorTests: XCTestCase {
    /// node_exporter's own expected values for this tree: dmz has two slaves up, int one of two.
    func testFixtureSlaveCounts() throws {
        let sink = try NetTest.run(BondingCollector(context: NetTest.context(Fixtures.roots("node-exporter"))))
        let expected: [String: Double] = [
            "node_bonding_slaves{master=\"bond0\"}": 0, "node_bonding_active{master=\"bond0\"}": 0,
            "node_bonding_slaves{master=\"dmz\"}": 2, "node_bonding_active{master=\"dmz\"}": 2,
            "node_bonding_slaves{master=\"int\"}": 2, "node_bonding_active{master=\"int\"}": 1,
        ]

        XCTAssertEqual(NetTest.values(sink), expected)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testModeAndActiveSlaveWithLowerDirectories() throws {
        let tree = try NetTestTree()
        try tree.write("sys/class/net/bonding_masters", "bond0\n")
        try tree.attributes("sys/class/net/bond0/bonding", [
            "slaves": "eth0 eth1", "mode": "active-backup 1", "active_slave": "eth1",
        ])
        try tree.attributes("sys/class/net/bond0/lower_eth0/bonding_slave", ["mii_status": "down"])
        try tree.attributes("sys/class/net/bond0/lower_eth1/bonding_slave", ["mii_status": "up"])
        let sink = try NetTest.run(BondingCollector(context: NetTest.context(tree.roots)))
        let expected: [String: Double] = [
            "node_bonding_slaves{master=\"bond0\"}": 2,
            "node_bonding_active{master=\"bond0\"}": 1,
            "ember_bonding_info{active_slave=\"eth1\",master=\"bond0\",mode=\"active-backup\"}": 1,
        ]

        XCTAssertEqual(NetTest.values(sink), expected)
    }

    func testChangedSlaveListIsFollowed() throws {
        let tree = try NetTestTree()
        try tree.write("sys/class/net/bonding_masters", "bond0\n")
        try tree.attributes("sys/class/net/bond0/bonding", ["slaves": "eth0", "mode": "active-backup 1"])
        try tree.attributes("sys/class/net/bond0/lower_eth0/bonding_slave", ["mii_status": "up"])
        try tree.attributes("sys/class/net/bond0/slave_eth1/bonding_slave", ["mii_status": "up"])
        let collector = BondingCollector(context: NetTest.context(tree.roots))

        let before = try NetTest.run(collector)
        try tree.attributes("sys/class/net/bond0/bonding", ["slaves": "eth0 eth1"])
        try tree.attributes("sys/class/net/bond0/lower_eth0/bonding_slave", ["mii_status": "down"])
        let after = try NetTest.run(collector)

        XCTAssertEqual(NetTest.family("node_bonding_slaves", in: before), ["node_bonding_slaves{master=\"bond0\"}": 1])
        XCTAssertEqual(NetTest.family("node_bonding_active", in: before), ["node_bonding_active{master=\"bond0\"}": 1])
        XCTAssertEqual(NetTest.family("node_bonding_slaves", in: after), ["node_bonding_slaves{master=\"bond0\"}": 2])
        XCTAssertEqual(NetTest.family("node_bonding_active", in: after), ["node_bonding_active{master=\"bond0\"}": 1])
    }

    func testEmptyActiveSlaveInBalancingMode() throws {
        let tree = try NetTestTree()
        try tree.write("sys/class/net/bonding_masters", "bond1 \n")
        try tree.attributes("sys/class/net/bond1/bonding", ["slaves": "", "mode": "balance-rr 0"])
        try tree.write("sys/class/net/bond1/bonding/active_slave", "")
        let sink = try NetTest.run(BondingCollector(context: NetTest.context(tree.roots)))

        XCTAssertEqual(
            NetTest.family("ember_bonding_info", in: sink),
            ["ember_bonding_info{active_slave=\"\",master=\"bond1\",mode=\"balance-rr\"}": 1])
    }

    func testMissingSlaveStatusCostsThatMasterOnly() throws {
        let tree = try NetTestTree()
        try tree.write("sys/class/net/bonding_masters", "bond0 bond1\n")
        try tree.attributes("sys/class/net/bond0/bonding", ["slaves": "eth0"])
        try tree.attributes("sys/class/net/bond1/bonding", ["slaves": "eth1"])
        try tree.attributes("sys/class/net/bond1/slave_eth1/bonding_slave", ["mii_status": "up"])
        let sink = try NetTest.run(BondingCollector(context: NetTest.context(tree.roots)))

        XCTAssertEqual(NetTest.values(sink), [
            "node_bonding_slaves{master=\"bond1\"}": 1, "node_bonding_active{master=\"bond1\"}": 1,
        ])
        XCTAssertEqual((sink.errors.first as? FileError)?.code, ENOENT)
    }

    func testFailedModeReadOmitsInfo() throws {
        let tree = try NetTestTree()
        try tree.write("sys/class/net/bonding_masters", "bond0\n")
        try tree.attributes("sys/class/net/bond0/bonding", ["slaves": "", "mode": "active-backup 1"])
        try tree.write("sys/class/net/bond0/bonding/active_slave", "eth0\n")
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/bonding/active_slave": EIO]
        let sink = try NetTest.run(BondingCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem)))

        XCTAssertTrue(NetTest.family("ember_bonding_info", in: sink).isEmpty)
        XCTAssertEqual(NetTest.family("node_bonding_slaves", in: sink), ["node_bonding_slaves{master=\"bond0\"}": 0])
        XCTAssertEqual((sink.errors.first as? FileError)?.code, EIO)
    }

    func testEmptyModeIsAParseError() throws {
        let tree = try NetTestTree()
        try tree.write("sys/class/net/bonding_masters", "bond0\n")
        try tree.attributes("sys/class/net/bond0/bonding", ["slaves": ""])
        try tree.write("sys/class/net/bond0/bonding/mode", "")
        let sink = try NetTest.run(BondingCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(NetTest.family("ember_bonding_info", in: sink).isEmpty)
        XCTAssertTrue(sink.errors.first is ParseError)
    }

    func testNoBondingAddsNothing() throws {
        let tree = try NetTestTree()
        try tree.makeDirectory("sys/class/net/eth0")
        let sink = try NetTest.run(BondingCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }
}
