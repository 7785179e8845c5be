@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

/// Fails each file every collector reads, one at a time, with each errno a misbehaving driver
/// returns. Every collector must follow one rule: a bad file costs only the series it feeds,
/// never the whole collector, and a failed read never becomes a number or a changed label.
final class SingleFileFaultSweepTests: XCTestCase {
    private struct Run {
        var values: [String: Double] = [:]
        var failure: (any Error)?
        var errorCount = 0
    }

    private func run(_ definition: CollectorDefinition, roots: SourceRoots, fileSystem: any FileSystem) -> Run {
        var result = Run()
        var sink = MetricSink()
        do {
            try definition.make(HardwareHarness.context(roots, fileSystem: fileSystem)).update(into: &sink)
        } catch {
            result.failure = error
        }
        result.values = HardwareHarness.values(sink)
        result.errorCount = sink.errors.count + sink.unavailableSources.count
        return result
    }

    /// Files that are a collector's whole source: failing one is a failure of the collector, which
    /// `ember_collector_success 0` reports, not a lost series.
    private static let soleSources: [String: String] = [
        "cpu": "/proc/stat", "netdev": "/proc/net/dev", "bonding": "/sys/class/net/bonding_masters",
    ]

    /// Returns whether an errno is a state, not a fault. The kernel returns EINVAL for `duplex` while
    /// the link is down, which node_network_info shows as an empty `duplex` label, as node_exporter does.
    private static func isState(_ code: Int32, at path: String) -> Bool {
        code == EINVAL && path.hasSuffix("/duplex")
    }

    private func sweep(_ tree: String, codes: [Int32]) throws {
        let roots = Fixtures.roots(tree)
        for definition in CollectorRegistry.all {
            let counting = CountingFileSystem()
            let clean = run(definition, roots: roots, fileSystem: counting)
            XCTAssertNil(clean.failure, "\(tree) \(definition.name) fails without a fault")

            for path in counting.readPaths {
                for code in codes where !Self.isState(code, at: path) {
                    check(definition, failing: path, with: code, roots: roots, clean: clean)
                }
            }
        }
    }

    /// Runs `definition` with `path` failing with `code` and compares the result with `clean`.
    private func check(
        _ definition: CollectorDefinition, failing path: String, with code: Int32, roots: SourceRoots, clean: Run
    ) {
        let faults = FaultInjectingFileSystem()
        faults.inject(code, at: path)
        let faulted = run(definition, roots: roots, fileSystem: faults)
        let context = "\(definition.name), \(Errno.name(of: code)) at \(path)"

        if let sole = Self.soleSources[definition.name], path.hasSuffix(sole) {
            XCTAssertNotNil(faulted.failure, "\(context): a failed sole source is a collector failure")
        } else {
            XCTAssertNil(faulted.failure, "\(context): the whole collector failed")
        }

        // No file in these trees is write-only, so EIO is always a fault here, and a lost series
        // must show up as an error or a failure.
        if code == EIO, faulted.values.count < clean.values.count {
            let reported = faulted.failure != nil || faulted.errorCount > clean.errorCount
            XCTAssertTrue(reported, "\(context): series lost without a recorded error")
        }

        for (key, value) in faulted.values {
            XCTAssertEqual(value, clean.values[key], "\(context): \(key) changed or appeared")
        }
    }

    func testMainlineBoardSweep() throws {
        try sweep("rk3588/opi5plus-mainline", codes: [EINVAL, EIO])
    }

    func testVendorBoardSweep() throws {
        try sweep("rk3588/opi5plus-v5.10", codes: [EACCES, ENODATA, EIO])
    }

    func testNodeExporterTreeSweep() throws {
        try sweep("node-exporter", codes: [EINVAL, ENODATA, EAGAIN, EIO])
    }
}
