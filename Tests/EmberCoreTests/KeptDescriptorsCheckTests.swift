#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@testable import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// ``KeptDescriptors`` checking an ordinary file's identity after a rescan. These tests open the
/// files themselves, so a descriptor number returned after the rescan is the very one kept.
final class KeptDescriptorsCheckTests: XCTestCase {
    private func openKept(_ path: String, in kept: KeptDescriptors) throws -> Int32 {
        let fd = try openForReading(path)
        XCTAssertTrue(kept.keep(fd, for: path))
        return fd
    }

    private func isOpen(_ fd: Int32) -> Bool {
        fcntl(fd, F_GETFD) != -1
    }

    func testRenameAwayAndBackKeepsDescriptor() throws {
        let tree = try TemporaryTree()
        let directory = tree.directory + "/hwmon0"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let path = directory + "/temp1_input"
        try "41000\n".write(toFile: path, atomically: false, encoding: .utf8)
        let kept = KeptDescriptors(allowance: DescriptorAllowance(limit: 4))
        let fd = try openKept(path, in: kept)

        XCTAssertEqual(rename(directory, tree.directory + "/moved"), 0)
        kept.startRescan()
        XCTAssertEqual(rename(tree.directory + "/moved", directory), 0)

        XCTAssertEqual(try kept.descriptor(for: path), fd, "the path names the same inode again")
        XCTAssertEqual(try kept.descriptor(for: path), fd)
        XCTAssertEqual(kept.count, 1)
    }

    func testNewInodeClosesDescriptor() throws {
        let tree = try TemporaryTree()
        let path = tree.directory + "/temp1_input"
        try "41000\n".write(toFile: path, atomically: false, encoding: .utf8)
        let allowance = DescriptorAllowance(limit: 4)
        let kept = KeptDescriptors(allowance: allowance)
        let fd = try openKept(path, in: kept)

        try "42000\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try kept.descriptor(for: path), fd, "not checked before a rescan")
        kept.startRescan()

        XCTAssertNil(try kept.descriptor(for: path), "the caller opens the path again")
        XCTAssertFalse(isOpen(fd))
        XCTAssertEqual(kept.count, 0)
        XCTAssertEqual(allowance.inUse, 0)
    }

    func testDeletedFileIsRememberedMissing() throws {
        let tree = try TemporaryTree()
        let path = tree.directory + "/temp1_input"
        try "41000\n".write(toFile: path, atomically: false, encoding: .utf8)
        let kept = KeptDescriptors(allowance: DescriptorAllowance(limit: 4))
        let fd = try openKept(path, in: kept)

        XCTAssertEqual(unlink(path), 0)
        kept.startRescan()
        for _ in 0..<2 {
            XCTAssertThrowsError(try kept.descriptor(for: path)) { error in
                let error = error as? FileError
                XCTAssertEqual(error?.operation, "open")
                XCTAssertEqual(error?.path, path)
                XCTAssertEqual(error?.code, ENOENT)
            }
        }
        XCTAssertFalse(isOpen(fd))
        XCTAssertEqual(kept.count, 0)
    }
}
