@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class CpufreqCollectorTests: XCTestCase {
    static let policy = "sys/devices/system/cpu/cpufreq/policy4"

    // MARK: parser

    func testTimeInStateParser() throws {
        let rows = try CpufreqParser.parseTimeInState("408000 1200\n1800000 35\n\n", path: "time_in_state")

        XCTAssertEqual(rows, [
            FrequencyResidency(frequencyKilohertz: 408_000, ticks: 1200),
            FrequencyResidency(frequencyKilohertz: 1_800_000, ticks: 35),
        ])
    }

    func testTimeInStateParserRejectsBadInput() {
        XCTAssertThrowsError(try CpufreqParser.parseTimeInState("", path: "t"))
        XCTAssertThrowsError(try CpufreqParser.parseTimeInState("408000\n", path: "t"))
        XCTAssertThrowsError(try CpufreqParser.parseTimeInState("408000 12 7\n", path: "t"))
        XCTAssertThrowsError(try CpufreqParser.parseTimeInState("fast 12\n", path: "t"))
    }

    func testListParserDropsTrailingSpace() throws {
        XCTAssertEqual(CpufreqParser.parseList("performance powersave \n"), ["performance", "powersave"])
        XCTAssertEqual(
            try CpufreqParser.parseFrequencies("408000 600000 816000 ", path: "f"), [408_000, 600_000, 816_000])
        XCTAssertThrowsError(try CpufreqParser.parseFrequencies("408000 fast", path: "f"))
    }

    func testAverageFrequencyIsTimeWeighted() {
        let old = [FrequencyResidency(frequencyKilohertz: 400_000, ticks: 100),
                   FrequencyResidency(frequencyKilohertz: 2_000_000, ticks: 50)]
        let new = [FrequencyResidency(frequencyKilohertz: 400_000, ticks: 130),
                   FrequencyResidency(frequencyKilohertz: 2_000_000, ticks: 60)]

        // (400000 × 30 + 2000000 × 10) / 40 = 800000 kHz
        XCTAssertEqual(CpufreqParser.averageFrequency(from: old, to: new), 800_000)
        XCTAssertNil(CpufreqParser.averageFrequency(from: new, to: new), "no time passed")
        XCTAssertNil(CpufreqParser.averageFrequency(from: new, to: old), "stats were reset")
    }

    // MARK: collector

    func testFixtureGovernors() throws {
        let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(Fixtures.roots("node-exporter"))))
        let governors = NetTest.family("node_cpu_scaling_governor", in: sink)

        XCTAssertEqual(governors.count, 8)
        XCTAssertEqual(governors["node_cpu_scaling_governor{cpu=\"0\",governor=\"powersave\"}"], 1)
        XCTAssertEqual(governors["node_cpu_scaling_governor{cpu=\"0\",governor=\"performance\"}"], 0)
        XCTAssertEqual(governors["node_cpu_scaling_governor{cpu=\"3\",governor=\"powersave\"}"], 1)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testHardwareFrequenciesAndPermissionDenied() throws {
        let tree = try NetTestTree()
        try tree.attributes("sys/devices/system/cpu/cpu4/cpufreq", [
            "cpuinfo_cur_freq": "2208000", "cpuinfo_min_freq": "408000", "cpuinfo_max_freq": "2400000",
            "scaling_cur_freq": "1800000",
        ])
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/cpu4/cpufreq/cpuinfo_cur_freq": EACCES]
        let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem)))
        let values = NetTest.values(sink)

        XCTAssertNil(values["node_cpu_frequency_hertz{cpu=\"4\"}"])
        XCTAssertEqual(values["node_cpu_frequency_min_hertz{cpu=\"4\"}"], 408_000_000)
        XCTAssertEqual(values["node_cpu_frequency_max_hertz{cpu=\"4\"}"], 2_400_000_000)
        XCTAssertEqual(values["node_cpu_scaling_frequency_hertz{cpu=\"4\"}"], 1_800_000_000)
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertEqual(sink.unavailableSources.map(\.error.code), [EACCES])
    }

    func testPolicyFamiliesAndAverageBetweenSamples() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.policy, [
            "related_cpus": "4 5", "scaling_driver": "cpufreq-dt",
            "stats/total_trans": "17", "stats/time_in_state": "408000 100\n2400000 50",
        ])
        try tree.write(Self.policy + "/scaling_available_frequencies", "408000 2400000 \n")
        let collector = CpufreqCollector(context: NetTest.context(tree.roots), ticksPerSecond: 100)
        let first = NetTest.values(try NetTest.run(collector))

        let residency = "ember_cpufreq_time_in_state_seconds_total"
        let available = "ember_cpufreq_available_frequency_info"
        XCTAssertEqual(
            first["ember_cpufreq_policy_info{driver=\"cpufreq-dt\",policy=\"policy4\",related_cpus=\"4 5\"}"], 1)
        XCTAssertEqual(first["ember_cpufreq_transitions_total{policy=\"policy4\"}"], 17)
        XCTAssertEqual(first[residency + "{frequency_hertz=\"408000000\",policy=\"policy4\"}"], 1)
        XCTAssertEqual(first[residency + "{frequency_hertz=\"2400000000\",policy=\"policy4\"}"], 0.5)
        XCTAssertEqual(first[available + "{frequency_hertz=\"408000000\",policy=\"policy4\"}"], 1)
        XCTAssertEqual(first[available + "{frequency_hertz=\"2400000000\",policy=\"policy4\"}"], 1)
        XCTAssertEqual(first.keys.filter { $0.hasPrefix("ember_cpufreq_available_frequency_info") }.count, 2)
        XCTAssertNil(first["ember_cpufreq_average_frequency_hertz{policy=\"policy4\"}"], "absent on the first sample")

        // 60 ticks at 408 MHz and 20 at 2.4 GHz: (408e6 × 60 + 2.4e9 × 20) / 80 = 906 MHz.
        try tree.attributes(Self.policy, ["stats/time_in_state": "408000 160\n2400000 70"])
        let second = NetTest.values(try NetTest.run(collector))
        XCTAssertEqual(second["ember_cpufreq_average_frequency_hertz{policy=\"policy4\"}"], 906_000_000)

        let third = NetTest.values(try NetTest.run(collector))
        XCTAssertNil(third["ember_cpufreq_average_frequency_hertz{policy=\"policy4\"}"], "no time passed")
    }

    func testBadTimeInStateIsRecorded() throws {
        for content in ["", "408000\n", "garbage here\n"] {
            let tree = try NetTestTree()
            try tree.attributes(Self.policy, ["related_cpus": "4", "stats/total_trans": "3"])
            try tree.write(Self.policy + "/stats/time_in_state", content)
            let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(tree.roots)))

            XCTAssertTrue(NetTest.family("ember_cpufreq_time_in_state_seconds_total", in: sink).isEmpty, content)
            XCTAssertEqual(NetTest.family("ember_cpufreq_transitions_total", in: sink).count, 1, content)
            XCTAssertEqual(sink.errors.count, 1, content)
            XCTAssertTrue(sink.errors.first is ParseError, content)
        }
    }

    func testFailedReadIsRecordedNotAValue() throws {
        let tree = try NetTestTree()
        try tree.attributes(
            "sys/devices/system/cpu/cpu0/cpufreq", ["scaling_cur_freq": "1000", "scaling_max_freq": "2000"])
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/scaling_cur_freq": EIO]
        let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem)))

        XCTAssertEqual(NetTest.values(sink), ["node_cpu_scaling_frequency_max_hertz{cpu=\"0\"}": 2_000_000])
        XCTAssertEqual((sink.errors.first as? FileError)?.code, EIO)
    }

    func testFailedDriverReadOmitsPolicyInfo() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.policy, ["related_cpus": "4 5", "scaling_driver": "cpufreq-dt"])
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/scaling_driver": EIO]
        let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem)))

        XCTAssertTrue(NetTest.family("ember_cpufreq_policy_info", in: sink).isEmpty)
        XCTAssertEqual((sink.errors.first as? FileError)?.code, EIO)
    }

    func testAbsentDriverIsEmptyLabel() throws {
        let tree = try NetTestTree()
        try tree.attributes(Self.policy, ["related_cpus": "4 5"])
        let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(tree.roots)))

        XCTAssertEqual(
            NetTest.values(sink)["ember_cpufreq_policy_info{driver=\"\",policy=\"policy4\",related_cpus=\"4 5\"}"], 1)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testUnknownHardwareFrequencyIsOmitted() throws {
        let tree = try NetTestTree()
        try tree.attributes("sys/devices/system/cpu/cpu0/cpufreq", ["cpuinfo_cur_freq": "<unknown>"])
        let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testEmptyAttributeIsAParseError() throws {
        let tree = try NetTestTree()
        try tree.write("sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "")
        let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.first is ParseError)
    }

    func testMissingSubsystemAddsNothing() throws {
        let tree = try NetTestTree()
        try tree.makeDirectory("sys/devices/system/cpu/cpu0")
        let sink = try NetTest.run(CpufreqCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    /// A frequency too large to multiply by 1000 in 64 bits still gets its exact label.
    func testHertzLabelOfLargestFrequency() {
        XCTAssertEqual(CpufreqCollector.hertzLabel(kilohertz: 0), "0")
        XCTAssertEqual(CpufreqCollector.hertzLabel(kilohertz: 408_000), "408000000")
        XCTAssertEqual(CpufreqCollector.hertzLabel(kilohertz: .max), "18446744073709551615000")
    }
}
