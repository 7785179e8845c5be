import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The start-up privilege report with a real collector on the RK3588 mainline tree, where
/// `cpuinfo_cur_freq` of the little cluster is readable by root only (the kernel's cpufreq core
/// creates it with mode 0400) and the agent runs as user nobody.
final class PrivilegeReportFixtureTests: XCTestCase {
    private let roots = Fixtures.roots("rk3588/opi5plus-mainline")
    private let log = RecordingLogSink()

    private func curFreqPath(_ cpu: Int) -> String {
        roots.sys("devices/system/cpu/cpu\(cpu)/cpufreq/cpuinfo_cur_freq")
    }

    private func makeSampler() -> Sampler {
        let fileSystem = FaultInjectingFileSystem()
        var rootOnly: Set<String> = []
        for cpu in 0..<4 {
            fileSystem.inject(EACCES, at: curFreqPath(cpu))
            rootOnly.insert(curFreqPath(cpu))
        }
        let context = CollectorContext(
            reader: SourceReader(roots: roots, fileSystem: fileSystem), logger: Logger(level: .debug, sink: log),
            options: CollectorOptions())
        let privileges = PrivilegeInspection(
            debugfsRoot: roots.debugfs,
            credentials: {
                ProcessCredentials(
                    userID: 65534, groupID: 65534, supplementaryGroupIDs: [], capabilities: CapabilitySet(mask: 0))
            },
            // Every other path, the checkout's ancestors included, is searchable by anyone, so the
            // report does not depend on where the checkout lives (a mktemp directory is mode 0700).
            ownership: { path in
                FileOwnership(userID: 0, groupID: 0, mode: rootOnly.contains(path) ? 0o400 : 0o755)
            })
        return Sampler(
            collectors: [("cpufreq", CpufreqCollector(context: context))],
            configuration: Sampler.Configuration(intervalSeconds: 1, timeoutSeconds: 1, version: "test"),
            logger: Logger(level: .debug, sink: log), privileges: privileges)
    }

    func testRootOnlyCurFreqIsReported() throws {
        let sampler = makeSampler()

        _ = sampler.sampleOnce()
        let second = sampler.sampleOnce()

        var values: [String: Double] = [:]
        for series in PrometheusText.series(from: second.samples) {
            values[series.key] = series.value
        }
        for cpu in 0..<4 {
            let denied = #"ember_source_available{collector="cpufreq",needs="root",source="\#(curFreqPath(cpu))"}"#
            XCTAssertEqual(values[denied], 0, "cpu\(cpu)")
            XCTAssertNil(values[#"node_cpu_frequency_hertz{cpu="\#(cpu)"}"#], "cpu\(cpu) has no hardware frequency")
        }
        XCTAssertNotNil(values[#"node_cpu_frequency_hertz{cpu="4"}"#], "the big cores keep theirs")
        XCTAssertNotNil(values[#"node_cpu_scaling_frequency_hertz{cpu="0"}"#], "cpu0 keeps its other files")
        XCTAssertEqual(values[#"ember_collector_success{collector="cpufreq"}"#], 1)
        XCTAssertEqual(values[#"ember_collector_errors_total{collector="cpufreq"}"#], 0)
    }

    func testReportNamesModeOnce() throws {
        let sampler = makeSampler()

        for _ in 0..<3 {
            _ = sampler.sampleOnce()
        }

        XCTAssertEqual(log.lines(containing: "privileges at start").count, 1)
        XCTAssertTrue(log.lines(containing: "privileges at start")[0].contains("unreadable_sources=4"))
        let denied = log.lines(containing: "source not readable by this user")
        XCTAssertEqual(denied.count, 4)
        XCTAssertTrue(denied.allSatisfy { $0.contains("needs=root") }, "\(denied)")
        XCTAssertTrue(denied[0].contains("mode 0400, owner root"), denied[0])
    }
}
