import CEmberShims
import Foundation
import XCTest

/// `ember_release_file_pages` unmaps read-only file pages. It must keep every page a private
/// mapping has written, because that page exists only in memory.
final class FileMappingReleaseTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ember-pages-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Maps a 16 KiB file filled with `byte`, private and read-only unless `writable`, and reads
    /// every page so it is resident.
    private func mapFile(_ name: String, byte: UInt8, writable: Bool = false) throws -> UnsafeMutablePointer<UInt8> {
        let path = directory.appendingPathComponent(name).path
        try Data(repeating: byte, count: 16384).write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }

        let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
        let address = try XCTUnwrap(mmap(nil, 16384, protection, MAP_PRIVATE, descriptor, 0))
        XCTAssertNotEqual(address, MAP_FAILED)
        let bytes = address.assumingMemoryBound(to: UInt8.self)
        for page in stride(from: 0, to: 16384, by: 4096) {
            XCTAssertEqual(bytes[page], byte)
        }
        return bytes
    }

    /// Returns whether the page at `address` is mapped in this process: bit 63 of its
    /// /proc/self/pagemap entry, which any process may read for itself.
    private func isMapped(_ address: UnsafeMutablePointer<UInt8>) throws -> Bool {
        let descriptor = open("/proc/self/pagemap", O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        var entry: UInt64 = 0
        let offset = off_t(UInt(bitPattern: address) / 4096 * 8)
        XCTAssertEqual(pread(descriptor, &entry, 8, offset), 8)
        return entry >> 63 == 1
    }

    func testReleasesUnwrittenMapping() throws {
        let bytes = try mapFile("clean", byte: 0x5A)
        defer { munmap(bytes, 16384) }
        XCTAssertTrue(try isMapped(bytes + 8192))
        var released: UInt64 = 0

        XCTAssertEqual(ember_release_file_pages(&released), 0)

        XCTAssertFalse(try isMapped(bytes + 8192))
        XCTAssertGreaterThanOrEqual(released, 16)
        XCTAssertEqual(bytes[8192], 0x5A)
        XCTAssertTrue(try isMapped(bytes + 8192))
    }

    /// A page written through a private mapping and then made read-only, as the dynamic loader
    /// does with relocated data, must keep the written value.
    func testKeepsWrittenPrivatePages() throws {
        let bytes = try mapFile("written", byte: 0x11, writable: true)
        defer { munmap(bytes, 16384) }
        bytes[4096] = 0x77
        XCTAssertEqual(mprotect(bytes, 16384, PROT_READ), 0)
        var released: UInt64 = 0

        XCTAssertEqual(ember_release_file_pages(&released), 0)

        XCTAssertTrue(try isMapped(bytes + 4096))
        XCTAssertEqual(bytes[4096], 0x77)
        XCTAssertEqual(bytes[0], 0x11)
    }
}
