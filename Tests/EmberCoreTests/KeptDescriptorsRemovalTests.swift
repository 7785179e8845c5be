@testable import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// A read that fails with ENODEV, the error of a removed device's attribute, closes the kept
/// files of that device's directory too, so that settled attributes, which no later sample reads,
/// do not stay open.
final class KeptDescriptorsRemovalTests: XCTestCase {
    func testDirectoryOfRemovedDeviceIsClosed() throws {
        let tree = try TemporaryTree()
        for path in ["probe0/mtu", "probe0/address", "probe0/statistics/rx_bytes", "eth0/mtu"] {
            try tree.write("1\n", at: path)
        }
        let allowance = DescriptorAllowance(limit: 16)
        let kept = KeptDescriptors(allowance: allowance)
        for path in ["probe0/mtu", "probe0/address", "probe0/statistics/rx_bytes", "eth0/mtu"] {
            let descriptor = open(tree.path(path), O_RDONLY)
            XCTAssertTrue(kept.keep(descriptor, for: tree.path(path)))
        }
        XCTAssertEqual(kept.count, 4)

        kept.closeDirectory(of: tree.path("probe0/carrier"))

        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(allowance.inUse, 1)
        XCTAssertNil(try kept.descriptor(for: tree.path("probe0/address")))
        XCTAssertNil(try kept.descriptor(for: tree.path("probe0/statistics/rx_bytes")))
        XCTAssertNotNil(try kept.descriptor(for: tree.path("eth0/mtu")))
    }
}

/// A rescan closes kept files that no sample will read again. One is a kernel file whose path is
/// gone, such as a removed device's settled attribute. Another is an ordinary file that no read
/// checked since the rescan before.
final class KeptDescriptorsRescanTests: XCTestCase {
    private func isOpen(_ fd: Int32) -> Bool {
        fcntl(fd, F_GETFD) != -1
    }

    /// procfs is a kernel file system like sysfs, and a process directory goes away with the
    /// process, as a device directory goes away with the device.
    func testKernelFileOfEndedProcessIsClosed() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        let path = "/proc/\(child.processIdentifier)/comm"
        let allowance = DescriptorAllowance(limit: 4)
        let kept = KeptDescriptors(allowance: allowance)
        let fd = try openForReading(path)
        XCTAssertTrue(kept.keep(fd, for: path))
        kept.startRescan()
        XCTAssertEqual(try kept.descriptor(for: path), fd, "the process is still there")

        child.terminate()
        child.waitUntilExit()
        kept.startRescan()

        XCTAssertFalse(isOpen(fd))
        XCTAssertEqual(kept.count, 0)
        XCTAssertEqual(allowance.inUse, 0)
        XCTAssertThrowsError(try kept.descriptor(for: path), "remembered missing until the next rescan") { error in
            XCTAssertEqual((error as? FileError)?.code, ENOENT)
        }
    }

    func testPlainFileUnreadForARescanIntervalIsClosed() throws {
        let tree = try TemporaryTree()
        try tree.write("1\n", at: "hwmon0/name")
        try tree.write("41000\n", at: "hwmon0/temp1_input")
        let allowance = DescriptorAllowance(limit: 4)
        let kept = KeptDescriptors(allowance: allowance)
        let name = try openForReading(tree.path("hwmon0/name"))
        let temperature = try openForReading(tree.path("hwmon0/temp1_input"))
        XCTAssertTrue(kept.keep(name, for: tree.path("hwmon0/name")))
        XCTAssertTrue(kept.keep(temperature, for: tree.path("hwmon0/temp1_input")))

        kept.startRescan()
        XCTAssertEqual(try kept.descriptor(for: tree.path("hwmon0/temp1_input")), temperature)
        kept.startRescan()

        XCTAssertFalse(isOpen(name), "not read since the rescan before")
        XCTAssertTrue(isOpen(temperature))
        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(allowance.inUse, 1)
        XCTAssertNil(try kept.descriptor(for: tree.path("hwmon0/name")), "the caller opens the path again")
    }
}
