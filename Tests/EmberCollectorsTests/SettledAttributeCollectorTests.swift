@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// Collectors on the agent's file system stack read configuration (limits, addresses, labels) again
/// only at a rescan, and measurements at every sample. Each test changes one of each between two
/// samples: the measurement shows at once, the configuration after the rescan interval.
final class SettledAttributeCollectorTests: XCTestCase {
    private var tree: HardwareTree!
    private var clock: ManualClock!

    override func setUpWithError() throws {
        tree = try HardwareTree()
        clock = ManualClock()
    }

    /// Builds a context whose reader is like the agent's: kept descriptors and a layout cache that
    /// rescans every 10 s on `clock`.
    private func context() -> CollectorContext {
        let files = FileReuse(rescanSeconds: 10, allowance: DescriptorAllowance(limit: 64))
        let fileSystem = ReadDeadline().makeFileSystem(logger: Logger(level: .error), clock: clock, files: files)
        let reader = SourceReader(roots: tree.roots, fileSystem: fileSystem, clock: clock)
        return CollectorContext(reader: reader, logger: Logger(level: .error), options: CollectorOptions())
    }

    private func values(_ collector: any Collector) throws -> [String: Double] {
        var sink = MetricSink()
        try collector.update(into: &sink)
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [])
        return HardwareHarness.values(sink)
    }

    func testNetClassMTUWaitsForRescan() throws {
        try tree.write("class/net/eth0/mtu", "1500\n")
        try tree.write("class/net/eth0/carrier", "1\n")
        try tree.write("class/net/eth0/operstate", "up\n")
        let collector = NetClassCollector(context: context())
        let mtu = #"node_network_mtu_bytes{device="eth0"}"#
        let carrier = #"node_network_carrier{device="eth0"}"#
        XCTAssertEqual(try values(collector)[mtu], 1500)

        try tree.write("class/net/eth0/mtu", "9000\n")
        try tree.write("class/net/eth0/carrier", "0\n")
        clock.advance(seconds: 9)
        var sample = try values(collector)
        XCTAssertEqual(sample[carrier], 0)
        XCTAssertEqual(sample[mtu], 1500)

        clock.advance(seconds: 1)
        sample = try values(collector)
        XCTAssertEqual(sample[mtu], 9000)
    }

    func testHwmonLimitWaitsForRescan() throws {
        try tree.write("class/hwmon/hwmon0/name", "nct6779\n")
        try tree.write("class/hwmon/hwmon0/temp1_input", "45000\n")
        try tree.write("class/hwmon/hwmon0/temp1_max", "80000\n")
        let context = context()
        let collector = HwmonCollector(source: SysfsHwmonSource(reader: context.reader, logger: context.logger))
        let input = #"node_hwmon_temp_celsius{chip="nct6779",sensor="temp1"}"#
        let maximum = #"node_hwmon_temp_max_celsius{chip="nct6779",sensor="temp1"}"#
        XCTAssertEqual(try values(collector)[maximum], 80)

        try tree.write("class/hwmon/hwmon0/temp1_input", "47000\n")
        try tree.write("class/hwmon/hwmon0/temp1_max", "90000\n")
        var sample = try values(collector)
        XCTAssertEqual(sample[input], 47)
        XCTAssertEqual(sample[maximum], 80)

        clock.advance(seconds: 10)
        sample = try values(collector)
        XCTAssertEqual(sample[maximum], 90)
    }

    /// `scaling_max_freq` stays per sample, because thermal limits lower it while the board runs;
    /// the hardware's `cpuinfo_max_freq` is settled.
    func testCpufreqScalingLimitIsReadEverySample() throws {
        let directory = "devices/system/cpu/cpu0/cpufreq/"
        try tree.write(directory + "scaling_cur_freq", "1800000\n")
        try tree.write(directory + "scaling_max_freq", "2400000\n")
        try tree.write(directory + "cpuinfo_max_freq", "2400000\n")
        let collector = CpufreqCollector(context: context(), ticksPerSecond: 100)
        let scalingMaximum = #"node_cpu_scaling_frequency_max_hertz{cpu="0"}"#
        let hardwareMaximum = #"node_cpu_frequency_max_hertz{cpu="0"}"#
        XCTAssertEqual(try values(collector)[hardwareMaximum], 2_400_000_000)

        try tree.write(directory + "scaling_max_freq", "1608000\n")
        try tree.write(directory + "cpuinfo_max_freq", "2208000\n")
        var sample = try values(collector)
        XCTAssertEqual(sample[scalingMaximum], 1_608_000_000)
        XCTAssertEqual(sample[hardwareMaximum], 2_400_000_000)

        clock.advance(seconds: 10)
        sample = try values(collector)
        XCTAssertEqual(sample[hardwareMaximum], 2_208_000_000)
    }
}
