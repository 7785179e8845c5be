@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// libpci opens and reads a function's `config` file itself. Here `config` is a FIFO that no
/// process writes to, so libpci's `open` blocks in the kernel as a read of a hung device would.
final class PCIeReadDeadlineTests: XCTestCase {
    private let deadline = ReadDeadline(timeoutSeconds: 0.2, firstRetrySeconds: 30)

    private func makeTree() throws -> TemporaryTree {
        let tree = try TemporaryTree()
        let directory = "sys/bus/pci/devices/0000:01:00.0/"
        try tree.write("0x15b7\n", at: directory + "vendor")
        try tree.write("0x501a\n", at: directory + "device")
        try tree.write("0x010802\n", at: directory + "class")
        try tree.write("", at: directory + "config")
        try tree.replaceWithFIFO(directory + "config")
        return tree
    }

    private func timedUpdate(_ collector: PCIeCollector) throws -> (sink: MetricSink, seconds: Double) {
        var sink = MetricSink()
        let start = SystemClock().monotonicNanoseconds()
        try collector.update(into: &sink)
        return (sink, Double(SystemClock().monotonicNanoseconds() - start) / 1e9)
    }

    func testBlockingConfigIsAbandonedThenSkipped() throws {
        let tree = try makeTree()
        let clock = ManualClock()
        let fileSystem = deadline.makeFileSystem(logger: Logger(level: .error), clock: clock)
        let context = CollectorContext(
            reader: SourceReader(roots: tree.roots, fileSystem: fileSystem), logger: Logger(level: .error),
            options: CollectorOptions())
        let collector = try PCIeCollector(context: context)
        let configPath = tree.path("sys/bus/pci/devices/0000:01:00.0/config")

        let first = try timedUpdate(collector)
        XCTAssertEqual(first.sink.errors.count, 1, "\(first.sink.errors)")
        let error = first.sink.errors.first as? FileError
        XCTAssertEqual(error?.path, configPath)
        XCTAssertEqual(error?.timeout, ReadTimeout(.abandoned, deadlineSeconds: 0.2))
        XCTAssertLessThan(first.seconds, 0.6, "one deadline, with no second 64-byte read of the same file")
        XCTAssertTrue(first.sink.unavailableSources.isEmpty, "a timeout is not a missing privilege")
        XCTAssertEqual(fileSystem.skipped, [configPath])
        XCTAssertTrue(first.sink.samples.contains { $0.descriptor.name == "ember_pcie_device_info" },
                      "identity still comes from sysfs")
        XCTAssertFalse(first.sink.samples.contains { $0.descriptor.name.hasPrefix("ember_pcie_link") })

        let second = try timedUpdate(collector)
        XCTAssertLessThan(second.seconds, 0.15, "the skipped config file is not opened again")
        XCTAssertEqual((second.sink.errors.first as? FileError)?.timeout,
                       ReadTimeout(.skipped(retryInSeconds: 30), deadlineSeconds: 0.2))
    }
}
