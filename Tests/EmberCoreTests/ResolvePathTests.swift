#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// ``SystemFileSystem/resolvePath(_:)`` against glibc's `realpath`, on links, relative paths and
/// missing paths.
final class ResolvePathTests: XCTestCase {
    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Builds a tree shaped like sysfs: a class link to a device directory through a relative target.
    private func makeTree() throws -> TemporaryTree {
        let tree = try TemporaryTree()
        let device = tree.directory + "/devices/platform/fd8b0000.i2c/hwmon/hwmon0"
        try FileManager.default.createDirectory(atPath: device, withIntermediateDirectories: true)
        try "1\n".write(toFile: device + "/temp1_input", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: tree.directory + "/class/hwmon", withIntermediateDirectories: true)
        XCTAssertEqual(symlink("../../devices/platform/fd8b0000.i2c/hwmon/hwmon0", tree.directory + "/class/hwmon/hwmon0"), 0)
        XCTAssertEqual(symlink("missing", tree.directory + "/class/hwmon/dangling"), 0)
        return tree
    }

    func testResolvesLikeRealpath() throws {
        let tree = try makeTree()
        let reader = SystemFileSystem()
        let paths = [
            "/", "/proc/self", tree.directory, tree.directory + "/class/hwmon/hwmon0",
            tree.directory + "/class/hwmon/hwmon0/temp1_input", tree.directory + "//class/./hwmon/../hwmon/hwmon0/",
        ]
        for path in paths {
            XCTAssertEqual(try reader.resolvePath(path), realPath(path), path)
        }
        XCTAssertEqual(
            try reader.resolvePath(tree.directory + "/class/hwmon/hwmon0"),
            try XCTUnwrap(realPath(tree.directory)) + "/devices/platform/fd8b0000.i2c/hwmon/hwmon0")
    }

    func testMissingPathsFailLikeRealpath() throws {
        let tree = try makeTree()
        let reader = SystemFileSystem()
        let cases: [(String, Int32)] = [
            (tree.directory + "/class/hwmon/hwmon1", ENOENT),
            (tree.directory + "/class/hwmon/dangling", ENOENT),
            (tree.directory + "/class/hwmon/hwmon0/temp1_input/child", ENOTDIR),
            (tree.directory + "/class/hwmon/hwmon0/temp1_input/", ENOTDIR),
            ("", ENOENT),
        ]
        for (path, code) in cases {
            XCTAssertNil(realPath(path), path)
            XCTAssertThrowsError(try reader.resolvePath(path), path) { error in
                let error = error as? FileError
                XCTAssertEqual(error?.operation, "realpath", path)
                XCTAssertEqual(error?.path, path)
                XCTAssertEqual(error?.code, code, path)
            }
        }
    }

    func testRelativePathResolvesFromWorkingDirectory() throws {
        let tree = try makeTree()
        let previous = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(tree.directory + "/class"))

        XCTAssertEqual(try SystemFileSystem().resolvePath("hwmon/hwmon0"), realPath(tree.directory + "/class/hwmon/hwmon0"))
    }
}
