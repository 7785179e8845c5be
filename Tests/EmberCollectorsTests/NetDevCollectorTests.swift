import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class NetDevCollectorTests: XCTestCase {
    /// The kernel's two header lines (net/core/net-procfs.c).
    static let header = "Inter-|   Receive                                                |  Transmit\n"
        + " face |bytes    packets errs drop fifo frame compressed multicast"
        + "|bytes    packets errs drop fifo colls carrier compressed\n"

    /// Formats a `/proc/net/dev` line with the given byte and packet counters and 0 elsewhere.
    static func line(_ device: String, rxBytes: UInt64, rxPackets: UInt64 = 0, txBytes: UInt64 = 0,
                     txPackets: UInt64 = 0) -> String {
        "\(device): \(rxBytes) \(rxPackets) 0 0 0 0 0 0 \(txBytes) \(txPackets) 0 0 0 0 0 0\n"
    }

    // MARK: parser

    func testParserReadsFixture() throws {
        let text = try String(
            contentsOfFile: Fixtures.directory + "/node-exporter/proc/net/dev", encoding: .utf8)
        let parsed = NetDevParser.parse(text, path: "net/dev")

        XCTAssertEqual(parsed.errors, [])
        XCTAssertEqual(parsed.devices.map(\.device), ["vethf345468", "lo", "docker0", "eth0"])
        XCTAssertEqual(parsed.devices[3].values, [874_354_587, 1_036_395, 0, 0, 0, 0, 0, 0,
                                                  563_352_563, 732_147, 0, 0, 0, 0, 0, 0])
    }

    func testParserHandlesNameJoinedToCounter() {
        let parsed = NetDevParser.parse("  eth1:18446744073709551615 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", path: "d")

        XCTAssertEqual(parsed.devices.first?.device, "eth1")
        XCTAssertEqual(parsed.devices.first?.values.first, UInt64.max)
        XCTAssertEqual(parsed.devices.first?.values.last, 16)
    }

    func testParserReportsTruncatedAndGarbageLines() {
        let text = Self.header + "eth0: 1 2 3\n" + "garbage without colon\n"
            + "eth1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n" + Self.line("eth2", rxBytes: 5)
        let parsed = NetDevParser.parse(text, path: "/proc/net/dev")

        XCTAssertEqual(parsed.devices.map(\.device), ["eth2"])
        XCTAssertEqual(parsed.errors.count, 3)
        XCTAssertEqual(parsed.errors.first?.content, "eth0: 1 2 3")
    }

    // MARK: collector

    func testFixtureCountersAreKernelValues() throws {
        let sink = try NetTest.run(try NetDevCollector(context: NetTest.context(Fixtures.roots("node-exporter"))))
        let values = NetTest.values(sink)

        XCTAssertEqual(values["node_network_receive_bytes_total{device=\"lo\"}"], 1_664_039_048)
        XCTAssertEqual(values["node_network_transmit_packets_total{device=\"eth0\"}"], 732_147)
        XCTAssertEqual(values["ember_network_receive_bytes_total{device=\"eth0\"}"], 874_354_587)
        XCTAssertEqual(values["ember_network_transmit_bytes_total{device=\"eth0\"}"], 563_352_563)
        XCTAssertEqual(values["ember_network_receive_packets_total{device=\"docker0\"}"], 38)
        XCTAssertEqual(values["ember_network_transmit_packets_total{device=\"vethf345468\"}"], 5)
        XCTAssertEqual(values.count, 4 * (16 + 4))
    }

    func testThirtyTwoBitWrapBetweenSamples() throws {
        let tree = try NetTestTree()
        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 4_294_967_000, rxPackets: 10))
        let collector = try NetDevCollector(context: NetTest.context(tree.roots))
        _ = try NetTest.run(collector)

        // The 32-bit counter passed 2^32 − 1 and restarted: 296 bytes to the wrap, then 704.
        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 704, rxPackets: 12))
        let values = NetTest.values(try NetTest.run(collector))

        XCTAssertEqual(values["node_network_receive_bytes_total{device=\"eth0\"}"], 704, "kernel value unchanged")
        XCTAssertEqual(values["ember_network_receive_bytes_total{device=\"eth0\"}"], 4_294_968_000)
        XCTAssertEqual(values["ember_network_receive_packets_total{device=\"eth0\"}"], 12)

        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 1704, rxPackets: 13))
        let later = NetTest.values(try NetTest.run(collector))
        XCTAssertEqual(later["ember_network_receive_bytes_total{device=\"eth0\"}"], 4_294_969_000)
    }

    func testGarbledLineKeepsAccumulatedState() throws {
        let tree = try NetTestTree()
        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 4_294_967_000, rxPackets: 10))
        let collector = try NetDevCollector(context: NetTest.context(tree.roots))
        _ = try NetTest.run(collector)
        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 704, rxPackets: 12))
        _ = try NetTest.run(collector)

        // One sample in which eth0's line is cut short must not make the collector forget eth0.
        try tree.write("proc/net/dev", Self.header + "  eth0: 1704 13\n")
        let garbled = try NetTest.run(collector)
        XCTAssertNil(NetTest.values(garbled)["ember_network_receive_bytes_total{device=\"eth0\"}"])
        XCTAssertEqual(garbled.errors.count, 1)

        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 2704, rxPackets: 14))
        let values = NetTest.values(try NetTest.run(collector))
        XCTAssertEqual(values["ember_network_receive_bytes_total{device=\"eth0\"}"], 4_294_970_000)
    }

    func testRenamedInterfaceGetsItsOwnSeries() throws {
        let tree = try NetTestTree()
        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 5000))
        let collector = try NetDevCollector(context: NetTest.context(tree.roots))
        _ = try NetTest.run(collector)

        try tree.write("proc/net/dev", Self.header + Self.line("end0", rxBytes: 300))
        let values = NetTest.values(try NetTest.run(collector))

        XCTAssertEqual(values["node_network_receive_bytes_total{device=\"end0\"}"], 300)
        XCTAssertEqual(values["ember_network_receive_bytes_total{device=\"end0\"}"], 300)
        XCTAssertNil(values["ember_network_receive_bytes_total{device=\"eth0\"}"])
        XCTAssertEqual(values.count, 16 + 4)
    }

    func testSixtyFourBitDecreaseIsAReset() throws {
        let tree = try NetTestTree()
        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 10_000_000_000, txBytes: 7))
        let collector = try NetDevCollector(context: NetTest.context(tree.roots))
        _ = try NetTest.run(collector)

        try tree.write("proc/net/dev", Self.header + Self.line("eth0", rxBytes: 500, txBytes: 9))
        let values = NetTest.values(try NetTest.run(collector))

        XCTAssertEqual(values["ember_network_receive_bytes_total{device=\"eth0\"}"], 10_000_000_500)
        XCTAssertEqual(values["ember_network_transmit_bytes_total{device=\"eth0\"}"], 9)
    }

    func testAccumulatorRules() {
        XCTAssertEqual(CounterAccumulator<String>.delta(from: 10, to: 15), 5)
        XCTAssertEqual(CounterAccumulator<String>.delta(from: UInt64(UInt32.max), to: 0), 1)
        XCTAssertEqual(CounterAccumulator<String>.delta(from: 1 << 32, to: 3), 3)
    }

    func testVanishedInterfaceRestartsFromKernelValue() throws {
        let tree = try NetTestTree()
        try tree.write("proc/net/dev", Self.header + Self.line("wg0", rxBytes: 100))
        let collector = try NetDevCollector(context: NetTest.context(tree.roots))
        _ = try NetTest.run(collector)
        try tree.write("proc/net/dev", Self.header)
        XCTAssertTrue(try NetTest.run(collector).samples.isEmpty)

        try tree.write("proc/net/dev", Self.header + Self.line("wg0", rxBytes: 40))
        let values = NetTest.values(try NetTest.run(collector))
        XCTAssertEqual(values["ember_network_receive_bytes_total{device=\"wg0\"}"], 40)
    }

    func testExcludeFilter() throws {
        let options = [NetDevCollector.excludeFlag: "^(lo|veth.*)$"]
        let context = NetTest.context(Fixtures.roots("node-exporter"), options: options)
        let sink = try NetTest.run(try NetDevCollector(context: context))
        let devices = Set(NetTest.family("node_network_receive_bytes_total", in: sink).keys)

        XCTAssertEqual(devices, ["node_network_receive_bytes_total{device=\"docker0\"}",
                                 "node_network_receive_bytes_total{device=\"eth0\"}"])
    }

    func testIncludeFilterIsUnanchoredLikeGo() throws {
        let context = NetTest.context(Fixtures.roots("node-exporter"), options: [NetDevCollector.includeFlag: "th"])
        let sink = try NetTest.run(try NetDevCollector(context: context))
        let devices = Set(NetTest.family("node_network_receive_bytes_total", in: sink).keys)

        XCTAssertEqual(devices, ["node_network_receive_bytes_total{device=\"vethf345468\"}",
                                 "node_network_receive_bytes_total{device=\"eth0\"}"])
    }

    func testInvalidOrConflictingFiltersThrow() {
        let roots = Fixtures.roots("node-exporter")
        XCTAssertThrowsError(
            try NetDevCollector(context: NetTest.context(roots, options: [NetDevCollector.includeFlag: "(eth"])))
        XCTAssertThrowsError(try NetDevCollector(context: NetTest.context(
            roots, options: [NetDevCollector.includeFlag: "eth", NetDevCollector.excludeFlag: "lo"])))
    }

    func testMissingFileAddsNothing() throws {
        let tree = try NetTestTree()
        let sink = try NetTest.run(try NetDevCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testEmptyAndGarbageFiles() throws {
        let tree = try NetTestTree()
        let collector = try NetDevCollector(context: NetTest.context(tree.roots))
        try tree.write("proc/net/dev", "")
        XCTAssertThrowsError(try NetTest.run(collector)) { error in
            XCTAssertTrue(error is ParseError, "\(error)")
        }

        try tree.write("proc/net/dev", "\u{0}\u{1}binary junk\nmore: junk\n")
        let garbage = try NetTest.run(collector)
        XCTAssertTrue(garbage.samples.isEmpty)
        XCTAssertEqual(garbage.errors.count, 2)
    }

    func testUnreadableFileThrows() throws {
        let tree = try NetTestTree()
        try tree.write("proc/net/dev", Self.header)
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/net/dev": EIO]

        let collector = try NetDevCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem))

        XCTAssertThrowsError(try NetTest.run(collector))
    }
}
