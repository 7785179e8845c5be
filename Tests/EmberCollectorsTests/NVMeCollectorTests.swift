@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class NVMeCollectorTests: XCTestCase {
    private func run(_ tree: HardwareTree, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ try NVMeCollector(context: $0) }, roots: tree.roots, fileSystem: fileSystem)
    }

    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        for (device, serial) in [("nvme0", "S5GXNF0R123456"), ("nvme1", "2213E6400001")] {
            try tree.write("class/nvme/\(device)/firmware_rev", "2B2QEXM7\n")
            try tree.write("class/nvme/\(device)/model", "Samsung SSD 980 PRO 1TB                 \n")
            try tree.write("class/nvme/\(device)/serial", serial + "      \n")
            try tree.write("class/nvme/\(device)/state", "live\n")
        }
        return tree
    }

    func testExportsTrimmedIdentity() throws {
        let sink = try run(try makeTree())

        let prefix = #"node_nvme_info{device=""#
        let suffix = #"",firmware_revision="2B2QEXM7",model="Samsung SSD 980 PRO 1TB",serial=""#
        XCTAssertEqual(HardwareHarness.values(sink), [
            prefix + "nvme0" + suffix + #"S5GXNF0R123456",state="live"}"#: 1,
            prefix + "nvme1" + suffix + #"2213E6400001",state="live"}"#: 1,
        ])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testMissingStateDropsOnlyThatDevice() throws {
        let tree = try makeTree()
        try FileManager.default.removeItem(atPath: tree.path("class/nvme/nvme0/state"))

        let sink = try run(tree)

        XCTAssertEqual(HardwareHarness.values(sink).count, 1)
        XCTAssertTrue(HardwareHarness.values(sink).keys.first?.contains(#"device="nvme1""#) ?? false)
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/nvme/nvme0/state")])
    }

    func testReadErrorDropsDevice() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("class/nvme/nvme1/model"))

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(HardwareHarness.values(sink).count, 1)
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testInvalidUTF8ModelBecomesOneReplacement() throws {
        let tree = try makeTree()
        try tree.write("class/nvme/nvme0/model", bytes: Array("WD".utf8) + [0xC0, 0xC0] + Array("  \n".utf8))

        let sink = try run(tree)
        let model = sink.samples.first { $0.labelValues[0] == "nvme0" }?.labelValues[2]

        XCTAssertEqual(model, "WD\u{FFFD}")
    }

    func testMissingClassDirectoryAddsNothing() throws {
        let sink = try run(try HardwareTree())

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }
}
