#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@testable import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// Settled reads: an attribute that changes only with the configuration is read at its first use
/// after a rescan, and its bytes are passed from memory until the next one, through every layer
/// the agent stacks. A plain read of the same file still goes to the kernel every time.
final class SettledAttributeTests: XCTestCase {
    private var tree: TemporaryTree!
    private var clock: ManualClock!
    private var faults: FaultInjectingFileSystem!
    private var counting: CountingFileSystem!
    private var cache: TreeLayoutCache!
    private var mtu: String { tree.path("eth0/mtu") }

    override func setUpWithError() throws {
        tree = try TemporaryTree()
        try tree.write("1500\n", at: "eth0/mtu")
        clock = ManualClock()
        faults = FaultInjectingFileSystem(base: SystemFileSystem())
        counting = CountingFileSystem(base: faults)
        cache = TreeLayoutCache(base: counting, intervalSeconds: 10, clock: clock)
    }

    private func settled(_ fileSystem: any FileSystem, _ path: String) throws(FileError) -> String {
        String(decoding: try fileSystem.readSettledAttribute(path), as: UTF8.self)
    }

    func testSettledReadKeptUntilRescan() throws {
        XCTAssertEqual(try settled(cache, mtu), "1500\n")
        try tree.write("9000\n", at: "eth0/mtu")

        clock.advance(seconds: 9.9)
        XCTAssertEqual(try settled(cache, mtu), "1500\n")
        XCTAssertEqual(counting.reads(of: mtu), 1)

        clock.advance(seconds: 0.1)
        XCTAssertEqual(try settled(cache, mtu), "9000\n")
        XCTAssertEqual(counting.reads(of: mtu), 2)
    }

    func testPlainReadOfSameFileStillReadsKernel() throws {
        XCTAssertEqual(try settled(cache, mtu), "1500\n")
        try tree.write("9000\n", at: "eth0/mtu")

        XCTAssertEqual(try cache.readAttribute(mtu), Array("9000\n".utf8))
        XCTAssertEqual(counting.reads(of: mtu), 2)
    }

    func testFailedSettledReadIsReadAgain() throws {
        faults.injectReadError(EIO, at: mtu)
        XCTAssertThrowsError(try settled(cache, mtu)) { error in
            XCTAssertEqual((error as? FileError)?.code, EIO)
        }

        faults.removeFault(at: mtu)
        XCTAssertEqual(try settled(cache, mtu), "1500\n")
        XCTAssertEqual(try settled(cache, mtu), "1500\n")
        XCTAssertEqual(counting.reads(of: mtu), 2)
    }

    func testRemovedDeviceMakesSettledAttributeReadAgain() throws {
        let carrier = tree.path("eth0/carrier")
        try tree.write("1\n", at: "eth0/carrier")
        XCTAssertEqual(try settled(cache, mtu), "1500\n")

        faults.injectReadError(ENODEV, at: carrier)
        XCTAssertThrowsError(try cache.readAttribute(carrier))
        try tree.write("1280\n", at: "eth0/mtu")
        XCTAssertEqual(try settled(cache, mtu), "1280\n")
    }

    /// An entry not used between two rescans is dropped, so a removed device's attributes do not
    /// stay in memory.
    func testUnusedEntriesAreDroppedAfterTwoRescans() throws {
        try tree.write("1\n", at: "eth0/dormant")
        XCTAssertEqual(try settled(cache, mtu), "1500\n")
        XCTAssertEqual(try settled(cache, tree.path("eth0/dormant")), "1\n")
        XCTAssertEqual(cache.settledCount, 2)

        cache.rescan()
        XCTAssertEqual(try settled(cache, mtu), "1500\n")
        XCTAssertEqual(cache.settledCount, 2)
        cache.rescan()
        XCTAssertEqual(cache.settledCount, 1)
        XCTAssertEqual(counting.reads(of: mtu), 2)
    }

    /// Without a layout cache (`--collector.rescan-interval=0s`, `ember snapshot`) nothing is
    /// remembered, and a fault-injecting layer fails every settled read it is given.
    func testWithoutLayoutCacheEverySettledReadReadsFile() throws {
        let reader = SourceReader(roots: SourceRoots(sysfs: tree.directory), fileSystem: counting)
        XCTAssertEqual(try reader.settledInteger(mtu), 1500)
        try tree.write("9000\n", at: "eth0/mtu")
        XCTAssertEqual(try reader.settledString(mtu), "9000")

        faults.injectReadError(EIO, at: mtu)
        XCTAssertThrowsError(try reader.settledUnsigned(mtu))
        XCTAssertEqual(counting.reads(of: mtu), 3)
    }

    /// The agent's full stack: denial cache, timeout skipping, layout cache, kept descriptors.
    func testAgentStackRemembersSettledValuesAndParsesThem() throws {
        let files = FileReuse(rescanSeconds: 60, allowance: DescriptorAllowance(limit: 8))
        let layered = ReadDeadline().makeFileSystem(logger: Logger(level: .error), files: files)
        let reader = SourceReader(roots: SourceRoots(sysfs: tree.directory), fileSystem: layered)

        XCTAssertEqual(try reader.settledInteger(mtu), 1500)
        try tree.write("9000\n", at: "eth0/mtu")
        XCTAssertEqual(try reader.settledInteger(mtu), 1500)
        XCTAssertEqual(try reader.integer(mtu), 9000)

        try tree.write("not a number\n", at: "eth0/mtu")
        layered.rescan()
        XCTAssertThrowsError(try reader.settledInteger(mtu)) { error in
            XCTAssertEqual((error as? ParseError)?.content, "not a number")
        }
        XCTAssertNil(try reader.optionalSettledString(tree.path("eth0/absent")))
    }

    /// A denied settled read is remembered by the denial cache like any other read.
    func testDeniedSettledReadIsRemembered() throws {
        faults.injectOpenError(EACCES, at: mtu)
        let denials = PermissionDenialCache(base: cache, clock: clock)

        for _ in 0..<3 {
            XCTAssertThrowsError(try settled(denials, mtu)) { error in
                XCTAssertEqual((error as? FileError)?.code, EACCES)
            }
        }
        XCTAssertEqual(counting.reads(of: mtu), 1)
    }
}
