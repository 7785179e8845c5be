import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class CPUCollectorTests: XCTestCase {
    // MARK: parser

    func testParserReadsPerCPULines() {
        let text = """
            cpu  301854 612 111922 8979004 3552 2 3944 0 44 36
            cpu0 44490 19 21045 1087069 220 1 3410 0 2 1
            cpu1 47869 23 16474 1110787 591 0 46 0 3 2
            intr 8885917 17 0
            """
        let parsed = ProcStatParser.parse(text, path: "stat")

        XCTAssertEqual(parsed.errors, [])
        XCTAssertEqual(parsed.cpus.map(\.cpu), ["0", "1"])
        XCTAssertEqual(parsed.cpus[0].modes, [44490, 19, 21045, 1087069, 220, 1, 3410, 0])
        XCTAssertEqual(parsed.cpus[0].guest, 2)
        XCTAssertEqual(parsed.cpus[0].guestNice, 1)
    }

    func testParserAcceptsLinesWithoutGuestColumns() {
        let parsed = ProcStatParser.parse("cpu0 1 2 3 4 5 6 7 8\n", path: "stat")

        XCTAssertEqual(parsed.cpus.first?.modes, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertNil(parsed.cpus.first?.guest)
        XCTAssertNil(parsed.cpus.first?.guestNice)
    }

    func testParserReportsTruncatedAndGarbageLines() {
        let text = "cpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 47869 23 16474\ncpu2 1 2 x 4 5 6 7 8\ncpuX 1 2 3 4 5 6 7 8\n"
        let parsed = ProcStatParser.parse(text, path: "/proc/stat")

        XCTAssertEqual(parsed.cpus.map(\.cpu), ["0"])
        XCTAssertEqual(parsed.errors.count, 3)
        XCTAssertEqual(parsed.errors.first?.path, "/proc/stat")
        XCTAssertEqual(parsed.errors.first?.content, "cpu1 47869 23 16474")
    }

    // MARK: collector

    func testFixtureSecondsByMode() throws {
        let collector = CPUCollector(context: NetTest.context(Fixtures.roots("node-exporter")), ticksPerSecond: 100)
        let sink = try NetTest.run(collector)
        let seconds = NetTest.family("node_cpu_seconds_total", in: sink)
        let guest = NetTest.family("node_cpu_guest_seconds_total", in: sink)

        // cpu0 44490 19 21045 1087069 220 1 3410 0 2 1, cpu7 29098 268 10164 1139282 555 0 31 0 9 8
        XCTAssertEqual(seconds.count, 8 * 8)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}"], 444.9)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"nice\"}"], 0.19)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"system\"}"], 210.45)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}"], 10870.69)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"iowait\"}"], 2.2)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"irq\"}"], 0.01)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"softirq\"}"], 34.1)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"steal\"}"], 0)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"7\",mode=\"nice\"}"], 2.68)
        XCTAssertEqual(guest.count, 8 * 2)
        XCTAssertEqual(guest["node_cpu_guest_seconds_total{cpu=\"0\",mode=\"user\"}"], 0.02)
        XCTAssertEqual(guest["node_cpu_guest_seconds_total{cpu=\"7\",mode=\"nice\"}"], 0.08)
        XCTAssertTrue(NetTest.family("ember_cpu_busy_ratio", in: sink).isEmpty, "no ratio on the first sample")
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testBusyRatioBetweenTwoSamples() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "cpu  0 0 0 0 0 0 0 0\ncpu0 100 0 50 800 50 0 0 0 0 0\n")
        let collector = CPUCollector(context: NetTest.context(tree.roots), ticksPerSecond: 100)
        _ = try NetTest.run(collector)

        // Deltas: user 30, system 10, idle 50, iowait 10 → busy 40 of 100 ticks.
        try tree.write("proc/stat", "cpu  0 0 0 0 0 0 0 0\ncpu0 130 0 60 850 60 0 0 0 0 0\n")
        let sink = try NetTest.run(collector)

        XCTAssertEqual(NetTest.family("ember_cpu_busy_ratio", in: sink), ["ember_cpu_busy_ratio{cpu=\"0\"}": 0.4])
    }

    func testOfflineCPUHasNoRatioOnReturn() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "cpu0 10 0 10 80 0 0 0 0\ncpu1 10 0 10 80 0 0 0 0\n")
        let collector = CPUCollector(context: NetTest.context(tree.roots), ticksPerSecond: 100)
        _ = try NetTest.run(collector)

        try tree.write("proc/stat", "cpu0 20 0 10 90 0 0 0 0\n")
        let offline = try NetTest.run(collector)
        try tree.write("proc/stat", "cpu0 30 0 10 100 0 0 0 0\ncpu1 40 0 10 100 0 0 0 0\n")
        let back = try NetTest.run(collector)
        try tree.write("proc/stat", "cpu0 40 0 10 110 0 0 0 0\ncpu1 50 0 20 120 0 0 0 0\n")
        let next = try NetTest.run(collector)

        XCTAssertEqual(NetTest.family("ember_cpu_busy_ratio", in: offline), ["ember_cpu_busy_ratio{cpu=\"0\"}": 0.5])
        XCTAssertEqual(NetTest.family("ember_cpu_busy_ratio", in: back), ["ember_cpu_busy_ratio{cpu=\"0\"}": 0.5])
        XCTAssertEqual(NetTest.family("ember_cpu_busy_ratio", in: next), [
            "ember_cpu_busy_ratio{cpu=\"0\"}": 0.5, "ember_cpu_busy_ratio{cpu=\"1\"}": 0.5,
        ])
        let seconds = NetTest.family("node_cpu_seconds_total", in: next)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"1\",mode=\"system\"}"], 0.2)
    }

    func testCounterGoingBackwardsSkipsInterval() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "cpu1 500 0 500 1000 0 0 0 0\n")
        let collector = CPUCollector(context: NetTest.context(tree.roots), ticksPerSecond: 100)
        _ = try NetTest.run(collector)

        try tree.write("proc/stat", "cpu1 10 0 10 20 0 0 0 0\n")
        let afterHotplug = try NetTest.run(collector)
        try tree.write("proc/stat", "cpu1 20 0 10 50 0 0 0 0\n")
        let next = try NetTest.run(collector)

        XCTAssertTrue(NetTest.family("ember_cpu_busy_ratio", in: afterHotplug).isEmpty)
        let seconds = NetTest.family("node_cpu_seconds_total", in: afterHotplug)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"1\",mode=\"user\"}"], 0.1)
        XCTAssertEqual(NetTest.family("ember_cpu_busy_ratio", in: next), ["ember_cpu_busy_ratio{cpu=\"1\"}": 0.25])
    }

    func testNoTicksPassedGivesNoRatio() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "cpu0 1 2 3 4 5 6 7 8\n")
        let collector = CPUCollector(context: NetTest.context(tree.roots), ticksPerSecond: 100)
        _ = try NetTest.run(collector)
        let sink = try NetTest.run(collector)

        XCTAssertTrue(NetTest.family("ember_cpu_busy_ratio", in: sink).isEmpty)
    }

    /// Found by the FuzzProcStat target: tick deltas whose sum exceeds UInt64 trapped on overflow.
    /// The ratio is omitted and the seconds are still exported.
    func testTicksSummingPastUInt64GiveNoRatio() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "cpu0 0 0 0 0 0 0 0 0\n")
        let collector = CPUCollector(context: NetTest.context(tree.roots), ticksPerSecond: 100)
        _ = try NetTest.run(collector)
        try tree.write("proc/stat", "cpu0 18446744073709551615 5 0 0 0 0 0 0\n")

        let sink = try NetTest.run(collector)

        XCTAssertTrue(NetTest.family("ember_cpu_busy_ratio", in: sink).isEmpty)
        XCTAssertEqual(NetTest.family("node_cpu_seconds_total", in: sink)["node_cpu_seconds_total{cpu=\"0\",mode=\"nice\"}"], 0.05)
    }

    func testMissingStatAddsNothing() throws {
        let tree = try NetTestTree()
        let sink = try NetTest.run(CPUCollector(context: NetTest.context(tree.roots)))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testEmptyStatThrowsParseError() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "")
        let collector = CPUCollector(context: NetTest.context(tree.roots))

        XCTAssertThrowsError(try NetTest.run(collector)) { error in
            XCTAssertTrue(error is ParseError, "\(error)")
        }
    }

    func testGarbageStatThrowsParseError() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "\u{1}\u{2}garbage ☃\nnot a stat file\n")

        XCTAssertThrowsError(try NetTest.run(CPUCollector(context: NetTest.context(tree.roots))))
    }

    func testTruncatedLineCostsOnlyThatCPU() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "cpu0 1 2 3 4 5 6 7 8\ncpu1 1 2 3")
        let sink = try NetTest.run(CPUCollector(context: NetTest.context(tree.roots), ticksPerSecond: 100))

        let seconds = NetTest.family("node_cpu_seconds_total", in: sink)
        XCTAssertEqual(seconds.count, 8)
        XCTAssertEqual(seconds["node_cpu_seconds_total{cpu=\"0\",mode=\"steal\"}"], 0.08)
        XCTAssertEqual(sink.errors.count, 1)
    }

    func testUnreadableStatThrows() throws {
        let tree = try NetTestTree()
        try tree.write("proc/stat", "cpu0 1 2 3 4 5 6 7 8\n")
        let fileSystem = NetFaultFileSystem()
        fileSystem.failures = ["/proc/stat": EIO]

        let collector = CPUCollector(context: NetTest.context(tree.roots, fileSystem: fileSystem))

        XCTAssertThrowsError(try NetTest.run(collector))
    }

    func testTicksPerSecondComesFromSysconf() {
        XCTAssertEqual(ClockTicks.perSecond, Double(sysconf(Int32(_SC_CLK_TCK))))
    }
}
