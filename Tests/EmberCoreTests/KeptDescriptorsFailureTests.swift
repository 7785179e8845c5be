#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import Foundation
import XCTest

/// A sysfs attribute whose read fails in the device's current state keeps its descriptor, on the
/// real /sys of the machine that runs the tests.
final class KeptDescriptorsFailureTests: XCTestCase {
    /// Loopback has no link speed, so the kernel's `speed_show` returns EINVAL at every read.
    private let path = "/sys/class/net/lo/speed"

    private func readError(_ fileSystem: SystemFileSystem) -> Int32? {
        do {
            _ = try fileSystem.readAttribute(path)
            return nil
        } catch {
            return error.code
        }
    }

    /// Counts this process's descriptors open on `path`, from the links in /proc/self/fd, which
    /// name the file by its path with symbolic links resolved.
    private func openDescriptors() throws -> Int {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        return names.filter { name in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name)) == resolved
        }.count
    }

    func testFailingAttributeStaysOpen() throws {
        let fileSystem = SystemFileSystem(readTimeoutSeconds: 1, keepingFilesOpen: DescriptorAllowance(limit: 8))
        try XCTSkipUnless(readError(fileSystem) == EINVAL, "\(path) does not fail with EINVAL here")
        XCTAssertEqual(fileSystem.keptOpenFiles, 1, "the first failed read keeps the descriptor")

        XCTAssertEqual(readError(fileSystem), EINVAL)
        XCTAssertEqual(readError(fileSystem), EINVAL)
        XCTAssertEqual(fileSystem.keptOpenFiles, 1)
        XCTAssertEqual(try openDescriptors(), 1, "later reads reuse the kept descriptor")
    }

    func testFailingAttributeWithoutAllowanceIsClosed() throws {
        let fileSystem = SystemFileSystem(readTimeoutSeconds: 1)
        try XCTSkipUnless(readError(fileSystem) == EINVAL, "\(path) does not fail with EINVAL here")
        XCTAssertEqual(fileSystem.keptOpenFiles, 0)
        XCTAssertEqual(try openDescriptors(), 0)
    }

    func testFullAllowanceClosesFailingAttribute() throws {
        let fileSystem = SystemFileSystem(readTimeoutSeconds: 1, keepingFilesOpen: DescriptorAllowance(limit: 0))
        try XCTSkipUnless(readError(fileSystem) == EINVAL, "\(path) does not fail with EINVAL here")
        XCTAssertEqual(fileSystem.keptOpenFiles, 0)
        XCTAssertEqual(try openDescriptors(), 0)
    }
}
