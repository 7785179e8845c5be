#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// ``TreeLayoutCache`` over real files: what it remembers until a rescan, and what starts one.
final class TreeLayoutCacheTests: XCTestCase {
    private var tree: TemporaryTree!
    private var clock: ManualClock!
    private var counting: CountingFileSystem!
    private var faults: FaultInjectingFileSystem!
    private var cache: TreeLayoutCache!

    override func setUpWithError() throws {
        tree = try TemporaryTree()
        try FileManager.default.createDirectory(atPath: tree.directory + "/hwmon0", withIntermediateDirectories: true)
        try "40000\n".write(toFile: tree.directory + "/hwmon0/temp1_input", atomically: false, encoding: .utf8)
        clock = ManualClock()
        faults = FaultInjectingFileSystem(base: SystemFileSystem())
        counting = CountingFileSystem(base: faults)
        cache = TreeLayoutCache(base: counting, intervalSeconds: 10, clock: clock)
    }

    private func addDevice(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: tree.directory + "/" + name, withIntermediateDirectories: true)
    }

    func testListingRememberedUntilInterval() throws {
        XCTAssertEqual(try cache.listDirectory(tree.directory).sorted(), ["hwmon0"])
        try addDevice("hwmon1")

        clock.advance(seconds: 9.9)
        XCTAssertEqual(try cache.listDirectory(tree.directory).sorted(), ["hwmon0"])
        XCTAssertEqual(counting.reads(of: tree.directory), 1)

        clock.advance(seconds: 0.1)
        XCTAssertEqual(try cache.listDirectory(tree.directory).sorted(), ["hwmon0", "hwmon1"])
        XCTAssertEqual(counting.reads(of: tree.directory), 2)
        XCTAssertEqual(cache.rescans, 2)
    }

    func testContentIsNeverRemembered() throws {
        let path = tree.directory + "/hwmon0/temp1_input"
        XCTAssertEqual(try cache.readAttribute(path), Array("40000\n".utf8))
        try "40500\n".write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertEqual(try cache.readAttribute(path), Array("40500\n".utf8))
        XCTAssertEqual(counting.reads(of: path), 2)
    }

    func testTransientErrorsAreNotRemembered() throws {
        let path = tree.directory + "/hwmon0/temp1_input"
        faults.injectReadError(EIO, at: path)
        XCTAssertThrowsError(try cache.readAttribute(path)) { error in
            XCTAssertEqual((error as? FileError)?.code, EIO)
        }

        faults.removeFault(at: path)
        XCTAssertEqual(try cache.readAttribute(path), Array("40000\n".utf8))

        faults.inject(EACCES, at: tree.directory + "/hwmon0")
        XCTAssertThrowsError(try cache.listDirectory(tree.directory + "/hwmon0"))
        faults.removeFault(at: tree.directory + "/hwmon0")
        XCTAssertEqual(try cache.listDirectory(tree.directory + "/hwmon0"), ["temp1_input"])
    }

    func testRemovedDeviceStartsRescan() throws {
        XCTAssertEqual(try cache.listDirectory(tree.directory).sorted(), ["hwmon0"])
        let path = tree.directory + "/hwmon0/temp1_input"
        faults.injectReadError(ENODEV, at: path)

        XCTAssertThrowsError(try cache.readAttribute(path)) { error in
            XCTAssertEqual((error as? FileError)?.code, ENODEV)
        }
        XCTAssertEqual(cache.rescans, 2)

        try addDevice("hwmon1")
        XCTAssertEqual(try cache.listDirectory(tree.directory).sorted(), ["hwmon0", "hwmon1"],
                       "the listing after ENODEV is fresh without waiting for the interval")
    }

    func testLinksKindsAndResolvedPathsRemembered() throws {
        let link = tree.directory + "/device"
        XCTAssertEqual(symlink("hwmon0", link), 0)
        XCTAssertEqual(try cache.readLink(link), "hwmon0")
        XCTAssertEqual(try cache.resolvePath(link), try SystemFileSystem().resolvePath(tree.directory + "/hwmon0"))
        XCTAssertEqual(cache.fileKind(link), .directory)
        XCTAssertNil(cache.fileKind(tree.directory + "/absent"))

        XCTAssertEqual(unlink(link), 0)
        XCTAssertEqual(symlink("hwmon9", link), 0)
        XCTAssertEqual(try cache.readLink(link), "hwmon0")
        XCTAssertEqual(cache.fileKind(link), .directory)

        clock.advance(seconds: 10)
        XCTAssertEqual(try cache.readLink(link), "hwmon9")
        XCTAssertNil(cache.fileKind(link), "the new target does not exist")
        XCTAssertThrowsError(try cache.resolvePath(link))
    }

    func testRescanReachesKeptDescriptors() throws {
        let allowance = DescriptorAllowance(limit: 8)
        let system = SystemFileSystem(readTimeoutSeconds: 5, keepingFilesOpen: allowance)
        let layered = TreeLayoutCache(base: system, intervalSeconds: 10, clock: clock)
        let path = tree.directory + "/hwmon0/temp1_input"
        let before = try layered.readAttribute(path)
        XCTAssertEqual(system.keptOpenFiles, 1)

        // A replacement by rename is seen through the kept descriptor only after a rescan.
        try "73000\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try layered.readAttribute(path), before)
        clock.advance(seconds: 10)
        XCTAssertEqual(try layered.readAttribute(path), Array("73000\n".utf8))
        XCTAssertEqual(system.keptOpenFiles, 1)
    }

    func testRescanForgetsMissingFiles() throws {
        let system = SystemFileSystem(readTimeoutSeconds: 5, keepingFilesOpen: DescriptorAllowance(limit: 8))
        let layered = TreeLayoutCache(base: system, intervalSeconds: 10, clock: clock)
        let path = tree.directory + "/hwmon0/temp2_input"
        XCTAssertThrowsError(try layered.readAttribute(path))
        try "51000\n".write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try layered.readAttribute(path), "missing until the next rescan")

        clock.advance(seconds: 10)
        XCTAssertEqual(try layered.readAttribute(path), Array("51000\n".utf8))
    }
}
