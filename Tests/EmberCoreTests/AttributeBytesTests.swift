#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// `withAttributeBytes(_:_:)` lends the same bytes that `readAttribute(_:)` returns, through every
/// layer of a collector's file system, and wrappers that implement only `readAttribute` still see
/// every read.
final class AttributeBytesTests: XCTestCase {
    /// Builds the layers the agent stacks for one collector, keeping files open.
    private func makeAgentFileSystem() -> any FileSystem {
        let files = FileReuse(rescanSeconds: 60, allowance: DescriptorAllowance(limit: 8))
        let layered = ReadDeadline().makeFileSystem(logger: Logger(level: .error), files: files)
        return PermissionDenialCache(base: layered)
    }

    private func lentBytes(_ fileSystem: any FileSystem, _ path: String) throws(FileError) -> [UInt8]? {
        var lent: [UInt8]?
        try fileSystem.withAttributeBytes(path) { lent = Array($0) }
        return lent
    }

    func testLentBytesMatchArray() throws {
        let tree = try TemporaryTree()
        try tree.write("48250\n", at: "temp1_input")
        try tree.write("", at: "empty")
        let fileSystems: [any FileSystem] = [SystemFileSystem(), makeAgentFileSystem()]

        for fileSystem in fileSystems {
            for name in ["temp1_input", "empty"] {
                let path = tree.path(name)
                let expected = try fileSystem.readAttribute(path)
                XCTAssertEqual(try lentBytes(fileSystem, path), expected, "\(type(of: fileSystem)) \(name)")
                XCTAssertEqual(try lentBytes(fileSystem, path), expected, "\(type(of: fileSystem)) \(name), read again")
            }
        }
        XCTAssertEqual(try lentBytes(makeAgentFileSystem(), tree.path("temp1_input")), Array("48250\n".utf8))
    }

    func testFailedReadSkipsBody() throws {
        let tree = try TemporaryTree()
        let path = tree.path("absent")
        let fileSystems: [any FileSystem] = [SystemFileSystem(), makeAgentFileSystem()]

        for fileSystem in fileSystems {
            // Twice, so the agent's reader also fails from its memory of the missing path.
            for _ in 0..<2 {
                var calls = 0
                XCTAssertThrowsError(try fileSystem.withAttributeBytes(path) { _ in calls += 1 }) { error in
                    XCTAssertEqual((error as? FileError)?.code, ENOENT)
                    XCTAssertEqual((error as? FileError)?.operation, "open")
                    XCTAssertEqual((error as? FileError)?.path, path)
                }
                XCTAssertEqual(calls, 0, "\(type(of: fileSystem))")
            }
        }
    }

    func testWrapperSeesSourceReaderReads() throws {
        let tree = try TemporaryTree()
        try tree.write("-5\n", at: "value")
        try tree.write("18446744073709551615\n", at: "counter")
        try tree.write("up\n", at: "operstate")
        let counting = CountingFileSystem()
        let reader = SourceReader(roots: SourceRoots(sysfs: tree.directory), fileSystem: counting)

        XCTAssertEqual(try reader.integer(tree.path("value")), -5)
        XCTAssertEqual(try reader.unsigned(tree.path("counter")), UInt64.max)
        XCTAssertEqual(try reader.string(tree.path("operstate")), "up")

        XCTAssertEqual(counting.reads(of: tree.path("value")), 1)
        XCTAssertEqual(counting.reads(of: tree.path("counter")), 1)
        XCTAssertEqual(counting.reads(of: tree.path("operstate")), 1)
    }

    func testFaultInWrapperReachesSourceReader() throws {
        let tree = try TemporaryTree()
        try tree.write("42\n", at: "value")
        let faults = FaultInjectingFileSystem()
        faults.injectReadError(EIO, at: tree.path("value"))
        let reader = SourceReader(roots: SourceRoots(sysfs: tree.directory), fileSystem: faults)

        XCTAssertThrowsError(try reader.integer(tree.path("value"))) { error in
            XCTAssertEqual((error as? FileError)?.code, EIO)
        }
        faults.removeFault(at: tree.path("value"))
        XCTAssertEqual(try reader.integer(tree.path("value")), 42)
    }

    func testNonASCIIStringIsRepaired() throws {
        let tree = try TemporaryTree()
        let path = tree.path("model")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([0x41, 0xC0, 0xC0, 0x42, 0x0A])))
        try tree.write("Caf\u{E9}\n", at: "name")
        let reader = SourceReader(roots: SourceRoots(sysfs: tree.directory))

        XCTAssertEqual(try reader.string(path), "A\u{FFFD}B")
        XCTAssertEqual(try reader.string(tree.path("name")), "Caf\u{E9}")
    }
}
