@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class RKNPULoadTests: XCTestCase {
    func testParsesThreeIdleCores() throws {
        let load = try RKNPULoad.parse("NPU load:  Core0:  0%, Core1:  0%, Core2:  0%,\n", path: "load")

        XCTAssertEqual(load.cores.map(\.index), [0, 1, 2])
        XCTAssertEqual(load.cores.map(\.ratio), [0, 0, 0])
    }

    func testParsesFullAndPartialLoad() throws {
        let load = try RKNPULoad.parse("NPU load:  Core0: 100%, Core1: 42%, Core2:  7%,\n", path: "load")

        XCTAssertEqual(load.cores.map(\.ratio), [1, 0.42, 0.07])
    }

    func testParsesSingleInterruptFormat() throws {
        let load = try RKNPULoad.parse("NPU load:  0%\n", path: "load")
        XCTAssertEqual(load.cores, [RKNPULoad.Core(index: 0, ratio: 0)])

        let busy = try RKNPULoad.parse("NPU load: 100%\n", path: "load")
        XCTAssertEqual(busy.cores, [RKNPULoad.Core(index: 0, ratio: 1)])
    }

    func testRejectsMalformedContent() {
        let cases = [
            "", "NPU load:", "NPU load: ,", "GPU load: 5%", "NPU load:  Core0: 101%,", "NPU load:  Core0: -1%,",
            "NPU load:  Core0: 5,", "NPU load:  CoreX: 5%,", "NPU load:  Core0: 5%, Core0: 6%,",
            "NPU load:  Core0:  %,",
        ]
        for content in cases {
            XCTAssertThrowsError(try RKNPULoad.parse(content, path: "load"), content) { error in
                XCTAssertEqual((error as? ParseError)?.path, "load", content)
            }
        }
    }
}

final class RKNPUCollectorTests: XCTestCase {
    private func run(_ roots: SourceRoots, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ RKNPUCollector(context: $0) }, roots: roots, fileSystem: fileSystem)
    }

    /// Writes the debugfs file, the procfs file, or both. The tree deletes itself when released,
    /// so callers keep it alive while the collector runs.
    private func makeTree(debugfs: String?, procfs: String? = nil) throws -> HardwareTree {
        let tree = try HardwareTree()
        if let debugfs {
            try tree.write("kernel/debug/rknpu/load", debugfs)
        }
        if let procfs {
            try tree.write("proc/rknpu/load", procfs)
        }
        return tree
    }

    private func roots(_ tree: HardwareTree) -> SourceRoots {
        let base = tree.root + "/sys"
        return SourceRoots(sysfs: base, procfs: base + "/proc", debugfs: base + "/kernel/debug")
    }

    func testIdleCoresOnVendorFixture() throws {
        let sink = try run(Fixtures.roots("rk3588/opi5plus-v5.10"))

        XCTAssertEqual(HardwareHarness.values(sink), [
            "ember_npu_load_ratio{core=\"0\"}": 0,
            "ember_npu_load_ratio{core=\"1\"}": 0,
            "ember_npu_load_ratio{core=\"2\"}": 0,
        ])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testFullLoad() throws {
        let tree = try makeTree(debugfs: "NPU load:  Core0: 100%, Core1: 100%, Core2:  0%,\n")

        let sink = try run(roots(tree))

        XCTAssertEqual(HardwareHarness.values(sink), [
            "ember_npu_load_ratio{core=\"0\"}": 1,
            "ember_npu_load_ratio{core=\"1\"}": 1,
            "ember_npu_load_ratio{core=\"2\"}": 0,
        ])
    }

    func testMainlineHasNoDriverAndNoError() throws {
        let sink = try run(Fixtures.roots("rk3588/opi5plus-mainline"))

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertTrue(sink.unavailableSources.isEmpty)
    }

    func testAbsenceIsLoggedOnceAtDebug() throws {
        let log = RecordingLogSink()
        let reader = SourceReader(roots: Fixtures.roots("rk3588/opi5plus-mainline"))
        let logger = Logger(level: .debug, sink: log)
        let context = CollectorContext(reader: reader, logger: logger, options: CollectorOptions())
        let collector = RKNPUCollector(context: context)

        for _ in 0..<3 {
            var sink = MetricSink()
            try collector.update(into: &sink)
        }

        XCTAssertEqual(log.lines(containing: "source not present").count, 1)
        XCTAssertEqual(log.lines(containing: "rknpu/load").count, 1)
    }

    func testDebugfsDeniedMakesSourceUnavailable() throws {
        let tree = try makeTree(debugfs: "NPU load:  Core0:  5%, Core1:  0%, Core2:  0%,\n")
        let faults = FaultInjectingFileSystem()
        let path = tree.path("kernel/debug/rknpu/load")
        faults.inject(EACCES, at: path)

        let sink = try run(roots(tree), fileSystem: faults)

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty, "permission denied is not a collector error")
        XCTAssertEqual(sink.unavailableSources.map(\.path), [path])
    }

    func testProcfsServesWhenDebugfsDenied() throws {
        let tree = try makeTree(
            debugfs: "NPU load:  Core0:  5%, Core1:  0%, Core2:  0%,\n",
            procfs: "NPU load:  Core0: 30%, Core1:  0%, Core2:  0%,\n")
        let faults = FaultInjectingFileSystem()
        faults.inject(EACCES, at: tree.path("kernel/debug/rknpu/load"))

        let sink = try run(roots(tree), fileSystem: faults)

        XCTAssertEqual(HardwareHarness.values(sink)["ember_npu_load_ratio{core=\"0\"}"], 0.3)
        XCTAssertTrue(sink.unavailableSources.isEmpty)
    }

    func testProcfsOnlyKernel() throws {
        let tree = try makeTree(debugfs: nil, procfs: "NPU load:  Core0: 12%, Core1:  0%, Core2:  0%,\n")

        let sink = try run(roots(tree))

        XCTAssertEqual(HardwareHarness.values(sink)["ember_npu_load_ratio{core=\"0\"}"], 0.12)
    }

    func testReadFailureIsRecordedWithoutSeries() throws {
        for code in [EIO, EINVAL, EAGAIN, ENODATA] {
            let tree = try makeTree(debugfs: "NPU load:  Core0:  5%, Core1:  0%, Core2:  0%,\n")
            let faults = FaultInjectingFileSystem()
            faults.inject(code, at: tree.path("kernel/debug/rknpu/load"))

            let sink = try run(roots(tree), fileSystem: faults)

            XCTAssertTrue(sink.samples.isEmpty, Errno.name(of: code))
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code])
        }
    }

    func testGarbledFileIsRecordedWithoutSeries() throws {
        for content in ["", "NPU load:  Core0: 5", "\u{FFFD}\n"] {
            let tree = try makeTree(debugfs: content)

            let sink = try run(roots(tree))

            XCTAssertTrue(sink.samples.isEmpty, content)
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("kernel/debug/rknpu/load")], content)
        }
    }
}
