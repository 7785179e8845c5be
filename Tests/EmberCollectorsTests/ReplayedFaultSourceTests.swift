@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

/// Faults of thermal zones, cpufreq, power supplies and powercap seen on real machines, replayed
/// on the trees in `Tests/Fixtures/faults`.
final class ReplayedFaultSourceTests: XCTestCase {
    func testThermalZoneErrorsOmitOnlyThatZone() throws {
        let fixture = "thermal-read-errors"
        let fileSystem = ReplayedFault.injecting(fixture, [
            ("class/thermal/thermal_zone2/temp", EINVAL), ("class/thermal/thermal_zone3/temp", ENODATA),
            ("class/thermal/cooling_device0/cur_state", EINVAL),
        ])

        let sink = try HardwareHarness.run(
            { ThermalZoneCollector(context: $0) }, roots: ReplayedFault.roots(fixture), fileSystem: fileSystem)
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(values.filter { $0.key.hasPrefix("node_") }, [
            #"node_thermal_zone_temp{type="soc-thermal",zone="0"}"#: 45,
            #"node_thermal_zone_temp{type="bigcore0-thermal",zone="1"}"#: 45,
            #"node_cooling_device_cur_state{name="1",type="Processor"}"#: 0,
            #"node_cooling_device_max_state{name="1",type="Processor"}"#: 3,
        ], "zones 2 and 3 and cooling device 0 are absent, never 0")
        let info = values.keys.filter { $0.hasPrefix("ember_thermal_zone_info") }
        XCTAssertEqual(info.count, 4, "mode and policy of every zone still read")
        let thermal = ReplayedFault.sys(fixture, "class/thermal/")
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [
            thermal + "cooling_device0/cur_state", thermal + "thermal_zone2/temp", thermal + "thermal_zone3/temp",
        ])
        XCTAssertEqual(HardwareHarness.errorCodes(sink).sorted(), [EINVAL, EINVAL, ENODATA].sorted())
    }

    func testRootOnlyFrequencyReadOnce() throws {
        let fixture = "cpufreq-root-only"
        let paths = ["cpu0", "cpu1"].map { "devices/system/cpu/\($0)/cpufreq/cpuinfo_cur_freq" }
        let counting = CountingFileSystem(base: ReplayedFault.injecting(fixture, paths.map { ($0, EACCES) }))
        let context = HardwareHarness.context(ReplayedFault.roots(fixture), fileSystem: counting)
        let collector = CpufreqCollector(context: context, ticksPerSecond: 100)

        for sample in 1...3 {
            var sink = MetricSink()
            try collector.update(into: &sink)
            let values = HardwareHarness.values(sink)

            XCTAssertFalse(values.keys.contains { $0.hasPrefix("node_cpu_frequency_hertz") }, "sample \(sample)")
            XCTAssertEqual(values[#"node_cpu_scaling_frequency_hertz{cpu="0"}"#], 1_800_000_000, "sample \(sample)")
            XCTAssertEqual(values[#"node_cpu_frequency_max_hertz{cpu="1"}"#], 1_800_000_000, "sample \(sample)")
            XCTAssertEqual(sink.unavailableSources.map(\.path), paths.map { ReplayedFault.sys(fixture, $0) })
            XCTAssertTrue(sink.errors.isEmpty, "permission denied is not a collector error")
        }
        for path in paths {
            XCTAssertEqual(counting.reads(of: ReplayedFault.sys(fixture, path)), 1, "\(path) read once, not per sample")
        }
    }

    func testRootOnlyFrequencyReportedOnce() throws {
        let fixture = "cpufreq-root-only"
        let path = "devices/system/cpu/cpu0/cpufreq/cpuinfo_cur_freq"
        let context = HardwareHarness.context(
            ReplayedFault.roots(fixture), fileSystem: ReplayedFault.injecting(fixture, [(path, EACCES)]))
        let log = RecordingLogSink()
        let sampler = Sampler(
            collectors: [("cpufreq", CpufreqCollector(context: context, ticksPerSecond: 100))],
            configuration: Sampler.Configuration(intervalSeconds: 1, timeoutSeconds: 5, version: "test"),
            logger: Logger(level: .debug, sink: log))

        let snapshots = (1...3).map { _ in sampler.sampleOnce() }

        for snapshot in snapshots {
            let available = snapshot.samples.first { $0.descriptor.name == "ember_source_available" }
            XCTAssertEqual(available?.labelValues, ["cpufreq", ReplayedFault.sys(fixture, path), "CAP_DAC_READ_SEARCH"])
            XCTAssertEqual(available?.value, 0)
            let success = snapshot.samples.first { $0.descriptor.name == "ember_collector_success" }
            XCTAssertEqual(success?.value, 1)
        }
        let denied = log.lines(containing: "source not readable by this user")
        XCTAssertEqual(denied.count, 1)
        XCTAssertTrue(denied.first?.contains("needs=CAP_DAC_READ_SEARCH") ?? false, "\(denied)")
    }

    func testModelNameInvalidBytesReplaced() throws {
        let sink = try HardwareHarness.run(
            { PowerSupplyClassCollector(context: $0) }, roots: ReplayedFault.roots("power-supply-invalid-utf8"))

        XCTAssertEqual(HardwareHarness.values(sink), [
            #"node_power_supply_capacity{power_supply="BAT0"}"#: 87,
            #"node_power_supply_present{power_supply="BAT0"}"#: 1,
            #"node_power_supply_voltage_volt{power_supply="BAT0"}"#: 12.403,
            "node_power_supply_info{manufacturer=\"SMP\",model_name=\"LNV-5B10W13894\u{FFFD}\","
                + "power_supply=\"BAT0\",status=\"Discharging\",technology=\"Li-poly\",type=\"Battery\"}": 1,
        ], "one U+FFFD for the run C0 C0, as node_exporter 1.5 exports it")
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testPowercapPackageFifteen() throws {
        let fixture = "powercap-package-15"
        let sink = try HardwareHarness.run({ RaplCollector(context: $0) }, roots: ReplayedFault.roots(fixture))
        let zone = { (name: String) in ReplayedFault.sys(fixture, "class/powercap/" + name) }

        XCTAssertEqual(HardwareHarness.values(sink), [
            #"node_rapl_package_joules_total{index="0",path="\#(zone("intel-rapl:0"))"}"#: 105461.235487,
            #"node_rapl_package_joules_total{index="15",path="\#(zone("intel-rapl:15"))"}"#: 98305.117024,
            #"node_rapl_dram_joules_total{index="0",path="\#(zone("intel-rapl:15:0"))"}"#: 7302.11452,
            #"ember_rapl_energy_joules_total{index="0",path="\#(zone("intel-rapl:0"))",zone="package"}"#: 105461.235487,
            #"ember_rapl_energy_joules_total{index="15",path="\#(zone("intel-rapl:15"))",zone="package"}"#:
                98305.117024,
            #"ember_rapl_energy_joules_total{index="0",path="\#(zone("intel-rapl:15:0"))",zone="dram"}"#: 7302.11452,
        ])
        XCTAssertTrue(sink.errors.isEmpty)
    }
}
