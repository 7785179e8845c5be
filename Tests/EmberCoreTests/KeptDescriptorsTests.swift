#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// ``SystemFileSystem`` keeping files open between reads, on ordinary files and on procfs.
final class KeptDescriptorsTests: XCTestCase {
    private func makeReader(limit: Int = 16) -> (SystemFileSystem, DescriptorAllowance) {
        let allowance = DescriptorAllowance(limit: limit)
        return (SystemFileSystem(readTimeoutSeconds: 5, keepingFilesOpen: allowance), allowance)
    }

    private func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func testRereadSeesInPlaceWrite() throws {
        let tree = try TemporaryTree()
        let path = tree.directory + "/temp1_input"
        try write("41000\n", to: path)
        let (reader, allowance) = makeReader()

        XCTAssertEqual(try reader.readAttribute(path), Array("41000\n".utf8))
        XCTAssertEqual(reader.keptOpenFiles, 1)
        XCTAssertEqual(allowance.inUse, 1)

        try write("42500\n", to: path)
        XCTAssertEqual(try reader.readAttribute(path), Array("42500\n".utf8))
        XCTAssertEqual(reader.keptOpenFiles, 1, "the second read reuses the kept descriptor")
    }

    func testShorterInPlaceWriteIsReadWhole() throws {
        let tree = try TemporaryTree()
        let path = tree.directory + "/stat"
        try write("cpu  1 2 3 4\ncpu0 1 2 3 4\n", to: path)
        let (reader, _) = makeReader()
        _ = try reader.readFile(path, limit: 4096)

        try write("cpu  5 6\n", to: path)
        XCTAssertEqual(try reader.readFile(path, limit: 4096), Array("cpu  5 6\n".utf8))
    }

    func testReplacedPlainFileIsReopenedAtRescan() throws {
        let tree = try TemporaryTree()
        let path = tree.directory + "/in0_input"
        try write("1000\n", to: path)
        let (reader, allowance) = makeReader()
        _ = try reader.readAttribute(path)

        // A rename leaves the kept descriptor on the old file, as the class documents.
        try write("2000\n", to: tree.directory + "/staged")
        XCTAssertEqual(rename(tree.directory + "/staged", path), 0)
        XCTAssertEqual(try reader.readAttribute(path), Array("1000\n".utf8))

        reader.rescan()
        XCTAssertEqual(try reader.readAttribute(path), Array("2000\n".utf8))
        XCTAssertEqual(reader.keptOpenFiles, 1)
        XCTAssertEqual(allowance.inUse, 1)
    }

    func testReplacedPlainFileIsReadAfterRescan() throws {
        let tree = try TemporaryTree()
        let path = tree.directory + "/in1_input"
        try write("1000\n", to: path)
        let (reader, allowance) = makeReader()
        _ = try reader.readAttribute(path)

        reader.rescan()
        XCTAssertEqual(reader.keptOpenFiles, 1, "an unchanged file stays open across a rescan")
        try write("2000\n", to: tree.directory + "/staged")
        XCTAssertEqual(rename(tree.directory + "/staged", path), 0)
        XCTAssertEqual(try reader.readAttribute(path), Array("2000\n".utf8))
        XCTAssertEqual(reader.keptOpenFiles, 1, "the new file is kept in place of the old one")
        XCTAssertEqual(allowance.inUse, 1)

        try write("3000\n", to: path)
        XCTAssertEqual(try reader.readAttribute(path), Array("3000\n".utf8), "the new file is the one kept")
    }

    func testDeletedPlainFileIsMissingAfterRescan() throws {
        let tree = try TemporaryTree()
        let path = tree.directory + "/in2_input"
        try write("1000\n", to: path)
        let (reader, allowance) = makeReader()
        _ = try reader.readAttribute(path)

        XCTAssertEqual(unlink(path), 0)
        XCTAssertEqual(try reader.readAttribute(path), Array("1000\n".utf8), "until a rescan")
        reader.rescan()
        XCTAssertThrowsError(try reader.readAttribute(path)) { error in
            let error = error as? FileError
            XCTAssertEqual(error?.operation, "open")
            XCTAssertEqual(error?.path, path)
            XCTAssertEqual(error?.code, ENOENT)
        }
        XCTAssertEqual(reader.keptOpenFiles, 0)
        XCTAssertEqual(allowance.inUse, 0)

        try write("4000\n", to: path)
        XCTAssertThrowsError(try reader.readAttribute(path), "remembered as missing until the next rescan")
        reader.rescan()
        XCTAssertEqual(try reader.readAttribute(path), Array("4000\n".utf8))
    }

    func testFileUnderReplacedDirectoryMissing() throws {
        let tree = try TemporaryTree()
        let directory = tree.directory + "/hwmon0"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try write("1\n", to: directory + "/name")
        let (reader, _) = makeReader()
        _ = try reader.readAttribute(directory + "/name")

        // A regular file where the directory was: the path now fails with ENOTDIR.
        try FileManager.default.removeItem(atPath: directory)
        try write("1\n", to: directory)
        reader.rescan()
        XCTAssertThrowsError(try reader.readAttribute(directory + "/name")) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOTDIR)
        }
        XCTAssertEqual(reader.keptOpenFiles, 0)
    }

    func testProcfsFileStaysOpenAcrossRescan() throws {
        let (reader, _) = makeReader()
        let first = try reader.readFile("/proc/self/stat", limit: 4096)
        XCTAssertFalse(first.isEmpty)

        reader.rescan()
        XCTAssertEqual(reader.keptOpenFiles, 1, "procfs builds the content at every read from offset 0")
        let second = try reader.readFile("/proc/self/stat", limit: 4096)
        XCTAssertEqual(second.split(separator: UInt8(ascii: " "))[0], first.split(separator: UInt8(ascii: " "))[0])
    }

    func testAllowanceLimitsKeptFiles() throws {
        let tree = try TemporaryTree()
        let (reader, allowance) = makeReader(limit: 1)
        for name in ["a", "b", "c"] {
            try write("\(name)\n", to: tree.directory + "/" + name)
            XCTAssertEqual(try reader.readAttribute(tree.directory + "/" + name), Array("\(name)\n".utf8))
        }
        XCTAssertEqual(reader.keptOpenFiles, 1)
        XCTAssertEqual(allowance.inUse, 1)

        let other = SystemFileSystem(readTimeoutSeconds: 5, keepingFilesOpen: allowance)
        _ = try other.readAttribute(tree.directory + "/b")
        XCTAssertEqual(other.keptOpenFiles, 0, "the allowance is shared between readers")
    }

    func testDeinitReturnsDescriptors() throws {
        let tree = try TemporaryTree()
        try write("1\n", to: tree.directory + "/value")
        let allowance = DescriptorAllowance(limit: 4)
        do {
            let reader = SystemFileSystem(readTimeoutSeconds: 5, keepingFilesOpen: allowance)
            _ = try reader.readAttribute(tree.directory + "/value")
            XCTAssertEqual(allowance.inUse, 1)
        }
        XCTAssertEqual(allowance.inUse, 0)
    }

    func testFailedFirstReadKeepsNothing() throws {
        let tree = try TemporaryTree()
        let (reader, allowance) = makeReader()

        // read(2) of a directory fails with EISDIR after a successful open.
        XCTAssertThrowsError(try reader.readAttribute(tree.directory)) { error in
            XCTAssertEqual((error as? FileError)?.code, EISDIR)
        }
        XCTAssertEqual(reader.keptOpenFiles, 0)
        XCTAssertEqual(allowance.inUse, 0)
    }

    /// A /proc/PID file of a process that exited fails with ESRCH through a kept descriptor, as a
    /// removed device's sysfs attribute fails with ENODEV. The failure closes the descriptor.
    func testVanishedProcessClosesKeptDescriptor() throws {
        let child = try Process.run(URL(fileURLWithPath: "/bin/sleep"), arguments: ["60"])
        let path = "/proc/\(child.processIdentifier)/stat"
        let (reader, allowance) = makeReader()
        _ = try reader.readFile(path, limit: 4096)
        XCTAssertEqual(reader.keptOpenFiles, 1)

        child.terminate()
        child.waitUntilExit()
        XCTAssertThrowsError(try reader.readFile(path, limit: 4096)) { error in
            XCTAssertEqual((error as? FileError)?.code, ESRCH)
        }
        XCTAssertEqual(reader.keptOpenFiles, 0)
        XCTAssertEqual(allowance.inUse, 0)

        XCTAssertThrowsError(try reader.readFile(path, limit: 4096)) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOENT, "the next read opens the path afresh")
        }
    }

    func testMissingFileRememberedUntilRescan() throws {
        let tree = try TemporaryTree()
        let path = tree.directory + "/temp2_input"
        let (reader, allowance) = makeReader()
        XCTAssertThrowsError(try reader.readAttribute(path)) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOENT)
        }

        try write("51000\n", to: path)
        XCTAssertThrowsError(try reader.readAttribute(path)) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOENT, "remembered, without a system call")
        }
        XCTAssertEqual(allowance.inUse, 0, "a missing file takes no descriptor")

        reader.rescan()
        XCTAssertEqual(try reader.readAttribute(path), Array("51000\n".utf8))
    }

    func testMissingChildLeavesParentReadable() throws {
        let tree = try TemporaryTree()
        let (reader, _) = makeReader()
        XCTAssertThrowsError(try reader.readAttribute(tree.directory + "/file/child")) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOENT)
        }

        // ENOTDIR: a path through a regular file.
        try write("1\n", to: tree.directory + "/plain")
        XCTAssertThrowsError(try reader.readAttribute(tree.directory + "/plain/child")) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOTDIR)
        }
        XCTAssertEqual(try reader.readAttribute(tree.directory + "/plain"), Array("1\n".utf8))
    }

    /// Paths are hashed by their last bytes, so these two share a hash bucket but stay apart.
    func testPathsWithSameTailStayDistinct() throws {
        let tree = try TemporaryTree()
        let tail = "/device/statistics/rx_bytes_with_a_long_attribute_name"
        for device in ["eth0", "eth1"] {
            try FileManager.default.createDirectory(
                atPath: tree.directory + "/" + device + "/device/statistics", withIntermediateDirectories: true)
        }
        try write("123\n", to: tree.directory + "/eth1" + tail)
        let (reader, _) = makeReader()

        XCTAssertThrowsError(try reader.readAttribute(tree.directory + "/eth0" + tail))
        XCTAssertEqual(try reader.readAttribute(tree.directory + "/eth1" + tail), Array("123\n".utf8))
        XCTAssertThrowsError(try reader.readAttribute(tree.directory + "/eth0" + tail))
        XCTAssertEqual(try reader.readAttribute(tree.directory + "/eth1" + tail), Array("123\n".utf8))
    }

    func testReaderWithoutAllowanceKeepsNothing() throws {
        let tree = try TemporaryTree()
        try write("7\n", to: tree.directory + "/value")
        let reader = SystemFileSystem(readTimeoutSeconds: 5)
        _ = try reader.readAttribute(tree.directory + "/value")
        XCTAssertEqual(reader.keptOpenFiles, 0)
    }
}
