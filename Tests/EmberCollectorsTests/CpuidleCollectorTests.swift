@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class CpuidleCollectorTests: XCTestCase {
    private func run(_ roots: SourceRoots, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ CpuidleCollector(context: $0) }, roots: roots, fileSystem: fileSystem)
    }

    /// Writes two CPUs with two states each. cpu1's deeper state lacks `above` and `below`, as before Linux 5.1.
    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        try tree.write("devices/system/cpu/cpuidle/current_driver", "psci_idle\n")
        try tree.write("devices/system/cpu/cpuidle/current_governor_ro", "menu\n")
        for cpu in 0..<2 {
            let base = "devices/system/cpu/cpu\(cpu)/cpuidle/"
            try writeState(tree, base + "state0", ["name": "WFI", "latency": "1", "residency": "1",
                                                   "usage": "1000", "time": "2500000", "disable": "0",
                                                   "above": "0", "below": "40"])
            try writeState(tree, base + "state1", ["name": "cpu-sleep", "latency": "220", "residency": "1000",
                                                   "usage": "300", "time": "18446744073709551615",
                                                   "disable": "1"])
        }
        try tree.write("devices/system/cpu/cpu0/cpuidle/state1/above", "7\n")
        try tree.write("devices/system/cpu/cpu0/cpuidle/state1/below", "0\n")
        return tree
    }

    private func writeState(_ tree: HardwareTree, _ directory: String, _ files: [String: String]) throws {
        for (file, content) in files {
            try tree.write(directory + "/" + file, content + "\n")
        }
    }

    func testExportsStatesInBaseUnits() throws {
        let tree = try makeTree()

        let sink = try run(tree.roots)
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(values["ember_cpuidle_state_time_seconds_total{cpu=\"0\",state=\"WFI\"}"], 2.5)
        XCTAssertEqual(values["ember_cpuidle_state_usage_total{cpu=\"0\",state=\"WFI\"}"], 1000)
        XCTAssertEqual(values["ember_cpuidle_state_below_total{cpu=\"0\",state=\"WFI\"}"], 40)
        XCTAssertEqual(values["ember_cpuidle_state_above_total{cpu=\"0\",state=\"cpu-sleep\"}"], 7)
        XCTAssertEqual(values["ember_cpuidle_state_latency_seconds{cpu=\"1\",state=\"cpu-sleep\"}"], 0.000220)
        XCTAssertEqual(values["ember_cpuidle_state_target_residency_seconds{cpu=\"1\",state=\"cpu-sleep\"}"], 0.001)
        XCTAssertEqual(values["ember_cpuidle_state_disabled{cpu=\"1\",state=\"cpu-sleep\"}"], 1)
        XCTAssertEqual(values["ember_cpuidle_state_disabled{cpu=\"1\",state=\"WFI\"}"], 0)
        XCTAssertEqual(values["ember_cpuidle_info{driver=\"psci_idle\",governor=\"menu\"}"], 1)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testLargestTimeKeepsItsMagnitude() throws {
        let tree = try makeTree()

        let sink = try run(tree.roots)

        let time = HardwareHarness.values(sink)["ember_cpuidle_state_time_seconds_total{cpu=\"0\",state=\"cpu-sleep\"}"]
        XCTAssertEqual(try XCTUnwrap(time), 18_446_744_073_709.551615, accuracy: 1)
    }

    func testOlderKernelWithoutAboveAndBelow() throws {
        let tree = try makeTree()

        let sink = try run(tree.roots)
        let values = HardwareHarness.values(sink)

        XCTAssertNil(values["ember_cpuidle_state_above_total{cpu=\"1\",state=\"cpu-sleep\"}"])
        XCTAssertEqual(values["ember_cpuidle_state_usage_total{cpu=\"1\",state=\"cpu-sleep\"}"], 300)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testRK3588FixtureStates() throws {
        for fixture in ["rk3588/opi5plus-v5.10", "rk3588/opi5plus-v6.1", "rk3588/opi5plus-mainline"] {
            let sink = try run(Fixtures.roots(fixture))
            let usage = sink.samples.filter { $0.descriptor.name == "ember_cpuidle_state_usage_total" }

            XCTAssertEqual(usage.count, 16, fixture)
            XCTAssertEqual(Set(usage.map { $0.labelValues[1] }), ["WFI", "cpu-sleep"], fixture)
            XCTAssertTrue(sink.errors.isEmpty, "\(fixture): \(sink.errors)")
        }
    }

    func testIdleTimeMatchesProcStatIdle() throws {
        // The generator splits each CPU's /proc/stat idle ticks (10 ms each) over the two states.
        let roots = Fixtures.roots("rk3588/opi5plus-mainline")
        let stat = try String(contentsOfFile: roots.proc("stat"), encoding: .utf8)
        let cpu4 = try XCTUnwrap(stat.split(separator: "\n").first { $0.hasPrefix("cpu4 ") })
        let idleTicks = try XCTUnwrap(Double(cpu4.split(separator: " ")[4]))

        let sink = try run(roots)
        let seconds = sink.samples.filter {
            $0.descriptor.name == "ember_cpuidle_state_time_seconds_total" && $0.labelValues[0] == "4"
        }.map(\.value)

        XCTAssertEqual(seconds.reduce(0, +), idleTicks / 100, accuracy: 0.000001)
    }

    func testNoCpuidleDirectoryGivesNothing() throws {
        let tree = try HardwareTree()
        try tree.write("devices/system/cpu/cpu0/online", "1\n")

        let sink = try run(tree.roots)

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testFailedReadsOmitOnlyTheirSeries() throws {
        for code in [EIO, EINVAL, EAGAIN, ENODATA] {
            let tree = try makeTree()
            let faults = FaultInjectingFileSystem()
            faults.inject(code, at: tree.path("devices/system/cpu/cpu0/cpuidle/state1/time"))
            faults.inject(code, at: tree.path("devices/system/cpu/cpu1/cpuidle/state0/name"))

            let sink = try run(tree.roots, fileSystem: faults)
            let values = HardwareHarness.values(sink)

            XCTAssertNil(values["ember_cpuidle_state_time_seconds_total{cpu=\"0\",state=\"cpu-sleep\"}"])
            XCTAssertEqual(values["ember_cpuidle_state_usage_total{cpu=\"0\",state=\"cpu-sleep\"}"], 300)
            XCTAssertFalse(sink.samples.contains { $0.labelValues.first == "1" && $0.labelValues.last == "WFI" })
            XCTAssertEqual(values["ember_cpuidle_state_usage_total{cpu=\"1\",state=\"cpu-sleep\"}"], 300)
            XCTAssertEqual(HardwareHarness.errorCodes(sink).sorted(), [code, code], Errno.name(of: code))
        }
    }

    func testGarbledCountersAreRecordedErrors() throws {
        let tree = try makeTree()
        try tree.write("devices/system/cpu/cpu0/cpuidle/state0/usage", "")
        try tree.write("devices/system/cpu/cpu0/cpuidle/state0/time", "-5\n")
        try tree.write("devices/system/cpu/cpu0/cpuidle/state0/latency", "1.5\n")

        let sink = try run(tree.roots)
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(HardwareHarness.errorPaths(sink), [
            tree.path("devices/system/cpu/cpu0/cpuidle/state0/latency"),
            tree.path("devices/system/cpu/cpu0/cpuidle/state0/time"),
            tree.path("devices/system/cpu/cpu0/cpuidle/state0/usage"),
        ])
        XCTAssertNil(values["ember_cpuidle_state_usage_total{cpu=\"0\",state=\"WFI\"}"])
        XCTAssertNil(values["ember_cpuidle_state_time_seconds_total{cpu=\"0\",state=\"WFI\"}"])
        XCTAssertEqual(values["ember_cpuidle_state_target_residency_seconds{cpu=\"0\",state=\"WFI\"}"], 0.000001)
    }

    func testRepeatedStateNameGetsDirectorySuffix() throws {
        let tree = try makeTree()
        try tree.write("devices/system/cpu/cpu0/cpuidle/state1/name", "WFI\n")

        let sink = try run(tree.roots)
        let labels = sink.samples.filter {
            $0.descriptor.name == "ember_cpuidle_state_usage_total" && $0.labelValues[0] == "0"
        }.map { $0.labelValues[1] }

        XCTAssertEqual(labels, ["WFI", "WFI (state1)"])
    }

    func testGovernorFallsBackToWritableFile() throws {
        let tree = try makeTree()
        try FileManager.default.removeItem(atPath: tree.path("devices/system/cpu/cpuidle/current_governor_ro"))
        try tree.write("devices/system/cpu/cpuidle/current_governor", "teo\n")

        let sink = try run(tree.roots)

        XCTAssertEqual(HardwareHarness.values(sink)["ember_cpuidle_info{driver=\"psci_idle\",governor=\"teo\"}"], 1)
    }
}
