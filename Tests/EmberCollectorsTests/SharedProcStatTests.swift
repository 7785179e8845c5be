import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

/// The CPU collector and the power collector read `/proc/stat` once per sample cycle between them
/// when the sampler shares a ``CycleMemo``, on the RK3588 mainline fixture.
final class SharedProcStatTests: XCTestCase {
    private let roots = Fixtures.roots("rk3588/opi5plus-mainline")

    /// Runs two cycles of a sampler over the cpu and power collectors, each reading through its own
    /// counting file system. Returns the reads of /proc/stat by collector, and the snapshots.
    private func run(memo: CycleMemo?) throws -> (cpu: Int, power: Int, snapshots: [Snapshot]) {
        let cpuFiles = CountingFileSystem()
        let powerFiles = CountingFileSystem()
        let logger = Logger(level: .error)
        func context(_ files: CountingFileSystem) -> CollectorContext {
            CollectorContext(reader: SourceReader(roots: roots, fileSystem: files), logger: logger,
                             options: CollectorOptions(), cycle: memo)
        }
        let collectors: [(name: String, collector: any Collector)] = [
            ("cpu", CPUCollector(context: context(cpuFiles), ticksPerSecond: 100)),
            ("power", try PowerCollector(context: context(powerFiles))),
        ]
        let sampler = Sampler(
            collectors: collectors,
            configuration: Sampler.Configuration(intervalSeconds: 1, timeoutSeconds: 1, version: "test"),
            logger: logger, memo: memo)

        let snapshots = [sampler.sampleOnce(), sampler.sampleOnce()]
        let stat = roots.procfs + "/stat"
        return (cpuFiles.reads(of: stat), powerFiles.reads(of: stat), snapshots)
    }

    func testOneReadPerCycleWithMemo() throws {
        let shared = try run(memo: CycleMemo())
        XCTAssertEqual(shared.cpu + shared.power, 2, "two cycles, one read each")
    }

    func testEachCollectorReadsWithoutMemo() throws {
        let separate = try run(memo: nil)
        XCTAssertEqual(separate.cpu, 2)
        XCTAssertEqual(separate.power, 2)
    }

    func testSameSeriesWithAndWithoutMemo() throws {
        let shared = try run(memo: CycleMemo()).snapshots[1]
        let separate = try run(memo: nil).snapshots[1]
        let keys = shared.samples.map(\.seriesKey)
        XCTAssertTrue(keys.contains { $0.hasPrefix("node_cpu_seconds_total") })
        XCTAssertEqual(keys.sorted(), separate.samples.map(\.seriesKey).sorted())
    }
}
