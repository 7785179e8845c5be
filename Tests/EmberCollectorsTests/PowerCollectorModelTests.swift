@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import Glibc
import XCTest

/// The energy-model estimate on the mainline Orange Pi 5 Plus tree, with `/proc/stat` and the
/// current frequencies replaced between two runs.
final class PowerCollectorModelTests: XCTestCase {
    private let roots = Fixtures.roots("rk3588/opi5plus-mainline")

    /// `/proc/stat` with each CPU's user and idle ticks, in the kernel's column order.
    private func stat(_ ticks: [(user: Int, idle: Int)]) -> String {
        var text = "cpu  0 0 0 0 0 0 0 0 0 0\n"
        for (cpu, tick) in ticks.enumerated() {
            text += "cpu\(cpu) \(tick.user) 0 0 \(tick.idle) 0 0 0 0 0 0\n"
        }
        return text
    }

    /// Runs twice 1 s apart: cpu0 100 % busy, cpu4 50 %, cpu5 100 %, the rest idle, with policy0
    /// at 1800 MHz and policy4 at 2208 MHz. `edit` changes both `/proc/stat` texts.
    private func runBusyInterval(
        _ harness: PowerHarness, edit: @escaping (String) -> String = { $0 }
    ) throws -> MetricSink {
        let cpufreq = roots.sys("devices/system/cpu/cpufreq/")
        harness.fileSystem.files[cpufreq + "policy0/scaling_cur_freq"] = "1800000\n"
        harness.fileSystem.files[cpufreq + "policy4/scaling_cur_freq"] = "2208000\n"
        harness.fileSystem.files[roots.proc("stat")] = edit(stat(Array(repeating: (1000, 1000), count: 8)))

        return try harness.runTwice { files in
            var ticks = Array(repeating: (user: 1000, idle: 1100), count: 8)
            ticks[0] = (1100, 1000)
            ticks[4] = (1050, 1050)
            ticks[5] = (1100, 1000)
            files.files[roots.proc("stat")] = edit(stat(ticks))
        }
    }

    func testClustersWithOPPVoltage() throws {
        let harness = try PowerHarness(roots: roots)
        // Without the big cluster's regulator voltage, the OPP table gives it.
        harness.fileSystem.faults[roots.sys("class/regulator/regulator.2/microvolts")] = ENOENT

        let sink = try runBusyInterval(harness)

        // policy4, C = 416 at 2208 MHz and the OPP's 0.9875 V: 895708.32 µW per busy core × (0.5 + 1).
        XCTAssertEqual(powerWatts(sink, "cpu_policy4", "model")!, 1.34356248, accuracy: 1e-9)
        // policy0, C = 228 at 1800 MHz and 0.95 V: 370386 µW for the one busy core.
        XCTAssertEqual(powerWatts(sink, "cpu_policy0", "model")!, 0.370386, accuracy: 1e-9)
        XCTAssertEqual(powerWatts(sink, "cpu_policy6", "model"), 0, "an idle cluster")
        XCTAssertEqual(powerWatts(sink, "board", "model")!, 1.34356248 + 0.370386, accuracy: 1e-9)
        XCTAssertNil(powerWatts(sink, "gpu", "model"), "mainline has no GPU coefficient and no load file")
        XCTAssertEqual(value(sink, "ember_power_model_info", ["domain": "cpu_policy4", "method": "opp_voltage"]), 1)
        XCTAssertEqual(value(sink, "ember_power_model_info", ["domain": "cpu_policy0", "method": "opp_voltage"]), 1)
        XCTAssertEqual(
            value(sink, "ember_power_model_info", ["domain": "cpu_policy6", "method": "regulator_voltage"]), 1,
            "vdd_cpu_big1_s0 is readable")
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testFrequencyMixWeightsEachOPP() throws {
        let harness = try PowerHarness(roots: roots)
        let path = roots.sys("devices/system/cpu/cpufreq/policy4/stats/time_in_state")
        harness.fileSystem.faults[roots.sys("class/regulator/regulator.2/microvolts")] = ENOENT
        harness.fileSystem.files[path] = "1800000 1000\n2208000 1000\n"

        var calls = 0
        let sink = try runBusyInterval(harness) { text in
            // The second call prepares the second run.
            calls += 1
            if calls == 2 {
                harness.fileSystem.files[path] = "1800000 1050\n2208000 1050\n"
            }
            return text
        }

        // Half the second at 1800 MHz (OPP 0.85 V), half at 2208 MHz (0.9875 V), C = 416:
        // 0.5 × 416 × 0.7225 × 1800 + 0.5 × 416 × 0.97515625 × 2208 = 0.5 × 541008 + 0.5 × 895708.32
        // = 718358.16 µW per busy core, × 1.5 busy cores = 1077537.24 µW.
        XCTAssertEqual(powerWatts(sink, "cpu_policy4", "model")!, 1.07753724, accuracy: 1e-9)
    }

    func testOfflineCoreIsLeftOut() throws {
        let harness = try PowerHarness(roots: roots)
        harness.fileSystem.faults[roots.sys("class/regulator/regulator.2/microvolts")] = ENOENT
        harness.fileSystem.files[roots.sys("devices/system/cpu/cpufreq/policy4/affected_cpus")] = "4\n"

        let sink = try runBusyInterval(harness) { $0.replacingOccurrences(of: "\ncpu5 ", with: "\nxcpu5 ") }

        // Only cpu4 is online, 50 % busy: 895708.32 µW × 0.5.
        XCTAssertEqual(powerWatts(sink, "cpu_policy4", "model")!, 0.44785416, accuracy: 1e-9)
    }

    func testOfflineClusterLeavesBoardComplete() throws {
        // With cpu6 and cpu7 offline the kernel keeps policy6 but returns EBUSY for its attributes.
        let harness = try PowerHarness(roots: roots)
        let policy6 = roots.sys("devices/system/cpu/cpufreq/policy6/")
        for file in ["affected_cpus", "related_cpus", "scaling_cur_freq", "stats/time_in_state"] {
            harness.fileSystem.faults[policy6 + file] = EBUSY
        }
        harness.fileSystem.faults[roots.sys("class/regulator/regulator.2/microvolts")] = ENOENT

        let sink = try runBusyInterval(harness) { text in
            text.split(separator: "\n").filter { !$0.hasPrefix("cpu6 ") && !$0.hasPrefix("cpu7 ") }
                .joined(separator: "\n") + "\n"
        }

        XCTAssertNil(powerWatts(sink, "cpu_policy6", "model"))
        XCTAssertEqual(powerWatts(sink, "board", "model")!, 1.34356248 + 0.370386, accuracy: 1e-9)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testRegulatorVoltageWinsOverOPP() throws {
        let harness = try PowerHarness(roots: roots)

        let sink = try runBusyInterval(harness)

        // vdd_cpu_big0_s0 reads 675000 µV: 416 × 0.675² × 2208 × 1.5 = 627756.48 µW.
        XCTAssertEqual(powerWatts(sink, "cpu_policy4", "model")!, 0.62775648, accuracy: 1e-9)
    }

    func testVendorA76ClusterFromRegulator() throws {
        let vendor = Fixtures.roots("rk3588/opi5plus-v5.10")
        let harness = try PowerHarness(roots: vendor)
        harness.fileSystem.files[vendor.sys("class/regulator/regulator.3/microvolts")] = "987500\n"
        harness.fileSystem.files[vendor.sys("devices/system/cpu/cpufreq/policy6/scaling_cur_freq")] = "2208000\n"
        harness.fileSystem.files[vendor.proc("stat")] = stat(Array(repeating: (1000, 1000), count: 8))

        let sink = try harness.runTwice { files in
            var ticks = Array(repeating: (user: 1000, idle: 1100), count: 8)
            ticks[6] = (1050, 1050)
            ticks[7] = (1100, 1000)
            files.files[vendor.proc("stat")] = stat(ticks)
        }

        // vdd_cpu_big1_s0 at 987500 µV, C = 300 from cpu@600 only, 2208 MHz, cpu6 50 % and cpu7 100 %
        // busy: 300 × 0.97515625 × 2208 × 1.5 = 968915.25 µW.
        XCTAssertEqual(powerWatts(sink, "cpu_policy6", "model")!, 0.96891525, accuracy: 1e-9)
        XCTAssertNotNil(powerWatts(sink, "board", "model"))
    }

    func testBoardNeedsEveryCluster() throws {
        let harness = try PowerHarness(roots: roots)
        harness.fileSystem.faults[roots.sys("devices/system/cpu/cpufreq/policy6/related_cpus")] = EIO

        let sink = try runBusyInterval(harness)

        XCTAssertNotNil(powerWatts(sink, "cpu_policy4", "model"))
        XCTAssertNil(powerWatts(sink, "cpu_policy6", "model"))
        XCTAssertNil(powerWatts(sink, "board", "model"), "a board sum without one cluster would be too low")
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testFirstRunHasNoEstimate() throws {
        let sink = try PowerHarness(roots: roots).run()

        XCTAssertNil(powerWatts(sink, "board", "model"), "busy fractions need two /proc/stat readings")
    }

    func testStaticTermsAreAdded() throws {
        let options = ["collector.power.cpu-static-watts": "0.1", "collector.power.board-static-watts": "1.5"]
        let harness = try PowerHarness(roots: roots, options: options)

        let sink = try runBusyInterval(harness)

        XCTAssertEqual(powerWatts(sink, "cpu_policy6", "model")!, 0.1, accuracy: 1e-12)
        let clusters = ["cpu_policy0", "cpu_policy4", "cpu_policy6"].compactMap { powerWatts(sink, $0, "model") }
        XCTAssertEqual(powerWatts(sink, "board", "model")!, clusters.reduce(1.5, +), accuracy: 1e-12)
    }

    func testDomainStaticTermReplacesDefault() throws {
        let options = [
            "collector.power.cpu-static-watts": "0.1", "collector.power.domain-static-watts": "cpu_policy6=0.25",
        ]
        let harness = try PowerHarness(roots: roots, options: options)

        let sink = try runBusyInterval(harness)

        XCTAssertEqual(powerWatts(sink, "cpu_policy6", "model")!, 0.25, accuracy: 1e-12, "idle: static term only")
        XCTAssertEqual(powerWatts(sink, "cpu_policy0", "model")!, 0.370386 + 0.1, accuracy: 1e-9)
    }

    func testVendorGPUFromLoadAndOPP() throws {
        let vendor = Fixtures.roots("rk3588/opi5plus-v6.1")
        let harness = try PowerHarness(roots: vendor)
        harness.fileSystem.files[vendor.sys("class/devfreq/fb000000.gpu/load")] = "40@800000000Hz\n"
        harness.fileSystem.files[vendor.proc("stat")] = stat(Array(repeating: (1000, 1000), count: 8))

        let sink = try harness.runTwice { files in
            files.files[vendor.proc("stat")] = stat(Array(repeating: (1000, 1100), count: 8))
        }

        // C = 2982 at 800 MHz and the OPP's 0.75 V, 40 % busy: 2982 × 0.5625 × 800 × 0.4 = 536760 µW.
        XCTAssertEqual(powerWatts(sink, "gpu", "model")!, 0.53676, accuracy: 1e-9)
        XCTAssertEqual(value(sink, "ember_power_model_info", ["domain": "gpu", "method": "opp_voltage"]), 1)
    }
}

/// A tiny machine with one CPU, one OPP and a battery that measures the board's input.
final class PowerCollectorFitTests: XCTestCase {
    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        let base = "firmware/devicetree/base/"
        try tree.write(base + "compatible", bytes: Array("acme,board\0".utf8))
        try tree.write(base + "cpus/cpu@0/reg", bytes: [0, 0, 0, 0])
        try tree.write(base + "cpus/cpu@0/dynamic-power-coefficient", bytes: [0, 0, 0, 100])
        try tree.write(base + "cpus/cpu@0/operating-points-v2", bytes: [0, 0, 0, 1])
        try tree.write(base + "opp-table/phandle", bytes: [0, 0, 0, 1])
        try tree.write(base + "opp-table/opp-1000000000/opp-hz", bytes: [0, 0, 0, 0, 0x3B, 0x9A, 0xCA, 0x00])
        try tree.write(base + "opp-table/opp-1000000000/opp-microvolt", bytes: [0, 0x0F, 0x42, 0x40])
        try tree.write("devices/system/cpu/cpufreq/policy0/related_cpus", "0\n")
        try tree.write("devices/system/cpu/cpufreq/policy0/scaling_cur_freq", "1000000\n")
        try tree.write("class/power_supply/BAT0/type", "Battery\n")
        try tree.write("class/power_supply/BAT0/power_now", "1500000\n")
        try writeStat(tree, busyTicks: 0)
        return tree
    }

    private func writeStat(_ tree: HardwareTree, busyTicks: Int) throws {
        try FileManager.default.createDirectory(atPath: tree.root + "/proc", withIntermediateDirectories: true)
        let line = "cpu0 \(busyTicks) 0 0 100 0 0 0 0\n"
        try line.write(toFile: tree.root + "/proc/stat", atomically: true, encoding: .utf8)
    }

    /// Runs three times 1 s apart with the CPU fully busy between runs.
    private func runThreeTimes(_ harness: PowerHarness, _ tree: HardwareTree) throws -> [MetricSink] {
        var sinks: [MetricSink] = []
        for run in 0..<3 {
            try writeStat(tree, busyTicks: run * 100)
            sinks.append(try harness.run())
            harness.clock.advance(seconds: 1)
        }
        return sinks
    }

    func testErrorAndFitAgainstMeasuredInput() throws {
        let tree = try makeTree()
        let options = [
            "collector.power.board-input": "BAT0", "collector.power.board-static-watts": "0.4",
            "collector.power.fit-rate": "0.5",
        ]
        let harness = try PowerHarness(roots: tree.roots, options: options)

        let sinks = try runThreeTimes(harness, tree)

        // Model: 100 µW/MHz/V² × 1 V² × 1000 MHz × 1 busy core = 0.1 W, plus 0.4 W static = 0.5 W.
        // Run 2: estimate 0.5 W and error 0.5 − 1.5 = −1 W. The fit moves half way, so the correction
        // is 0.5 W.
        XCTAssertEqual(powerWatts(sinks[1], "cpu_policy0", "model")!, 0.1, accuracy: 1e-12)
        XCTAssertEqual(powerWatts(sinks[1], "board", "model")!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(value(sinks[1], "ember_power_model_error_watts")!, -1, accuracy: 1e-12)
        XCTAssertEqual(value(sinks[1], "ember_power_model_correction_watts")!, 0.5, accuracy: 1e-12)
        // Run 3: estimate 0.5 + 0.5 = 1 W and error −0.5 W. The correction becomes
        // 0.5 + 0.5 × (1 − 0.5) = 0.75 W.
        XCTAssertEqual(powerWatts(sinks[2], "board", "model")!, 1.0, accuracy: 1e-12)
        XCTAssertEqual(value(sinks[2], "ember_power_model_error_watts")!, -0.5, accuracy: 1e-12)
        XCTAssertEqual(harness.collector.counterState.boardCorrectionWatts, 0.75, accuracy: 1e-12)
    }

    func testBoardEstimateNeverBelowZero() throws {
        let tree = try makeTree()
        try tree.write("class/power_supply/BAT0/power_now", "50000\n")
        let options = [
            "collector.power.board-input": "BAT0", "collector.power.board-static-watts": "0.4",
            "collector.power.fit-rate": "1",
        ]
        let harness = try PowerHarness(roots: tree.roots, options: options)
        var sinks = try runThreeTimes(harness, tree)
        // An idle interval: idle ticks advance, busy ticks do not.
        try "cpu0 200 0 0 200 0 0 0 0\n".write(toFile: tree.root + "/proc/stat", atomically: true, encoding: .utf8)
        sinks.append(try harness.run())

        // Run 2 fits the correction to 0.05 − 0.5 = −0.45 W, and run 3 keeps it. The idle run's
        // 0.4 W static term minus 0.45 W would be −0.05 W, so the estimate stops at 0 W.
        XCTAssertEqual(value(sinks[2], "ember_power_model_correction_watts")!, -0.45, accuracy: 1e-12)
        XCTAssertEqual(powerWatts(sinks[3], "cpu_policy0", "model"), 0)
        XCTAssertEqual(powerWatts(sinks[3], "board", "model"), 0)
        XCTAssertEqual(value(sinks[3], "ember_power_model_error_watts")!, -0.05, accuracy: 1e-12)
    }

    func testMisspeltBoardInputIsLoggedOnce() throws {
        let tree = try makeTree()
        let harness = try PowerHarness(roots: tree.roots, options: ["collector.power.board-input": "BAT9"])

        let sinks = try runThreeTimes(harness, tree)

        let warnings = harness.log.lines(containing: "no measured power series has the domain")
        XCTAssertEqual(warnings.count, 1, "\(harness.log.lines)")
        XCTAssertTrue(warnings[0].contains("domain=BAT9"), warnings[0])
        XCTAssertTrue(warnings[0].contains("measured_domains=BAT0"), warnings[0])
        XCTAssertNil(value(sinks[2], "ember_power_model_error_watts"))
    }

    func testFoundBoardInputLogsNothing() throws {
        let tree = try makeTree()
        let harness = try PowerHarness(roots: tree.roots, options: ["collector.power.board-input": "BAT0"])

        _ = try runThreeTimes(harness, tree)

        XCTAssertEqual(harness.log.lines(containing: "no measured power series").count, 0)
    }

    func testUnknownStaticDomainIsLoggedOnce() throws {
        let tree = try makeTree()
        let options = ["collector.power.domain-static-watts": "cpu_policy0=0.2,cpu_policy9=0.3,gpu=0.1,npu=1"]
        let harness = try PowerHarness(roots: tree.roots, options: options)

        let sinks = try runThreeTimes(harness, tree)

        let warnings = harness.log.lines(containing: "domains that the model does not estimate")
        XCTAssertEqual(warnings.count, 1, "\(harness.log.lines)")
        XCTAssertTrue(warnings[0].contains("domains=cpu_policy9,npu"), warnings[0])
        XCTAssertTrue(warnings[0].contains("cpu_domains=cpu_policy0"), warnings[0])
        XCTAssertEqual(powerWatts(sinks[2], "cpu_policy0", "model")!, 0.1 + 0.2, accuracy: 1e-12)
    }

    func testCPUSupplyPhandleFindsRegulator() throws {
        let tree = try makeTree()
        try tree.write("firmware/devicetree/base/cpus/cpu@0/cpu-supply", bytes: [0, 0, 0, 5])
        try tree.write("firmware/devicetree/base/pmic/rail/phandle", bytes: [0, 0, 0, 5])
        try tree.write("class/regulator/regulator.0/name", "custom_rail\n")
        try tree.write("class/regulator/regulator.0/microvolts", "800000\n")
        try tree.link("class/regulator/regulator.0/of_node", to: tree.path("firmware/devicetree/base/pmic/rail"))
        let harness = try PowerHarness(roots: tree.roots)

        let sinks = try runThreeTimes(harness, tree)

        // The rail's 0.8 V, not the OPP's 1 V: 100 × 0.64 × 1000 MHz × 1 busy core = 64000 µW.
        XCTAssertEqual(powerWatts(sinks[1], "cpu_policy0", "model")!, 0.064, accuracy: 1e-12)
    }

    func testNoErrorWithoutBoardInput() throws {
        let tree = try makeTree()
        let harness = try PowerHarness(roots: tree.roots)

        let sinks = try runThreeTimes(harness, tree)

        XCTAssertNil(value(sinks[2], "ember_power_model_error_watts"))
        XCTAssertEqual(value(sinks[2], "ember_power_model_correction_watts"), 0)
    }

    func testCarbonFollowsMeasuredBoardInput() throws {
        let tree = try makeTree()
        let options = ["collector.power.board-input": "BAT0", "collector.power.carbon-intensity": "400"]
        let harness = try PowerHarness(roots: tree.roots, options: options)

        let sinks = try runThreeTimes(harness, tree)

        // 1.5 W for 2 s = 3 J = 3 / 3.6e6 kWh, and × 400 g/kWh that is 3.333… × 10⁻⁴ g.
        let carbon = value(sinks[2], "ember_carbon_grams_total", ["domain": "BAT0", "source": "power_supply"])
        XCTAssertEqual(carbon!, 3 / 3.6e6 * 400, accuracy: 1e-15)
        XCTAssertEqual(value(sinks[2], "ember_carbon_intensity_grams_per_kilowatt_hour"), 400)
        XCTAssertNil(value(sinks[2], "ember_carbon_grams_total", ["source": "model"]))
    }

    func testCarbonFollowsModelWithoutMeasuredInput() throws {
        let tree = try makeTree()
        let harness = try PowerHarness(roots: tree.roots, options: ["collector.power.carbon-intensity": "360"])

        let sinks = try runThreeTimes(harness, tree)

        // The board estimate is 0.1 W from run 2 on, so run 3 adds 0.1 J, which is
        // 0.1 / 3.6e6 × 360 = 10⁻⁵ g.
        XCTAssertEqual(value(sinks[2], "ember_carbon_grams_total", ["domain": "board", "source": "model"])!,
                       1e-5, accuracy: 1e-15)
    }

    func testSeededTotalsContinue() throws {
        let tree = try makeTree()
        let battery = PowerSeries(domain: "BAT0", source: .powerSupply)
        let state = PowerCounterState(energyJoules: [battery: 1000], carbonGrams: [battery: 2], boardCorrectionWatts: 0)
        let options = ["collector.power.board-input": "BAT0", "collector.power.carbon-intensity": "36000"]
        let harness = try PowerHarness(roots: tree.roots, options: options, state: state)

        let sinks = try runThreeTimes(harness, tree)

        // 1.5 W for 2 s adds 3 J. At 36000 g/kWh a joule is 0.01 g, so the total grows by 0.03 g.
        XCTAssertEqual(value(sinks[0], "ember_energy_joules_total", ["domain": "BAT0"]), 1000)
        XCTAssertEqual(value(sinks[2], "ember_energy_joules_total", ["domain": "BAT0"]), 1003)
        XCTAssertEqual(value(sinks[2], "ember_carbon_grams_total", ["domain": "BAT0"])!, 2.03, accuracy: 1e-9)
        XCTAssertEqual(harness.collector.counterState.energyJoules[battery], 1003)
        XCTAssertEqual(harness.collector.counterState.carbonGrams[battery]!, 2.03, accuracy: 1e-9)
    }
}

/// The debugfs energy model as the fallback for a CPU without a device-tree coefficient.
final class KernelEnergyModelTests: XCTestCase {
    private func makeTree(release: String, power: String) throws -> (HardwareTree, SourceRoots) {
        let tree = try HardwareTree()
        try tree.write("devices/system/cpu/cpufreq/policy0/related_cpus", "0\n")
        try tree.write("devices/system/cpu/cpufreq/policy0/scaling_cur_freq", "1000000\n")
        try tree.write("kernel/debug/energy_model/cpu0/cpus", "0\n")
        try tree.write("kernel/debug/energy_model/cpu0/ps:500000/frequency", "500000\n")
        try tree.write("kernel/debug/energy_model/cpu0/ps:500000/power", "1\n")
        try tree.write("kernel/debug/energy_model/cpu0/ps:1000000/frequency", "1000000\n")
        try tree.write("kernel/debug/energy_model/cpu0/ps:1000000/power", power)
        let kernel = tree.root + "/proc/sys/kernel"
        try FileManager.default.createDirectory(atPath: kernel, withIntermediateDirectories: true)
        try release.write(toFile: tree.root + "/proc/sys/kernel/osrelease", atomically: true, encoding: .utf8)
        let roots = SourceRoots(
            sysfs: tree.root + "/sys", procfs: tree.root + "/proc", debugfs: tree.root + "/sys/kernel/debug")
        return (tree, roots)
    }

    private func runHalfBusy(_ roots: SourceRoots) throws -> MetricSink {
        let harness = try PowerHarness(roots: roots)
        harness.fileSystem.files[roots.proc("stat")] = "cpu0 100 0 0 100 0 0 0 0\n"
        return try harness.runTwice { files in files.files[roots.proc("stat")] = "cpu0 150 0 0 150 0 0 0 0\n" }
    }

    func testMicrowattsSince519() throws {
        let (tree, roots) = try makeTree(release: "6.1.43-rockchip-rk3588\n", power: "250000\n")

        let sink = try runHalfBusy(roots)

        // 250000 µW for a busy core at 1000 MHz, 50 % busy: 0.125 W.
        XCTAssertEqual(powerWatts(sink, "cpu_policy0", "model")!, 0.125, accuracy: 1e-12)
        XCTAssertEqual(value(sink, "ember_power_model_info", ["domain": "cpu_policy0", "method": "energy_model"]), 1)
        withExtendedLifetime(tree) {}
    }

    func testMilliwattsBefore519() throws {
        let (tree, roots) = try makeTree(release: "5.10.160-legacy-rk35xx\n", power: "250\n")

        let sink = try runHalfBusy(roots)

        XCTAssertEqual(powerWatts(sink, "cpu_policy0", "model")!, 0.125, accuracy: 1e-12)
        withExtendedLifetime(tree) {}
    }

    func testDeniedDebugfsIsReportedEachRun() throws {
        let (tree, roots) = try makeTree(release: "6.1.43\n", power: "250000\n")
        let harness = try PowerHarness(roots: roots)
        let directory = roots.debug("energy_model/cpu0")
        harness.fileSystem.faults[directory] = EACCES
        harness.fileSystem.files[roots.proc("stat")] = "cpu0 100 0 0 100 0 0 0 0\n"

        var sinks: [MetricSink] = []
        for run in 1...3 {
            harness.fileSystem.files[roots.proc("stat")] = "cpu0 \(100 + run * 50) 0 0 \(100 + run * 50) 0 0 0 0\n"
            harness.clock.advance(seconds: 1)
            sinks.append(try harness.run())
        }

        for (run, sink) in sinks.enumerated().dropFirst() {
            XCTAssertEqual(sink.unavailableSources.map(\.path), [directory], "run \(run + 1)")
            XCTAssertTrue(sink.errors.isEmpty, "run \(run + 1): \(sink.errors)")
            XCTAssertNil(powerWatts(sink, "cpu_policy0", "model"), "run \(run + 1)")
        }
        withExtendedLifetime(tree) {}
    }

    func testUnknownReleaseLeavesModelUnused() throws {
        let (tree, roots) = try makeTree(release: "custom\n", power: "250000\n")

        let sink = try runHalfBusy(roots)

        XCTAssertNil(powerWatts(sink, "cpu_policy0", "model"))
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [roots.proc("sys/kernel/osrelease")])
        withExtendedLifetime(tree) {}
    }
}
