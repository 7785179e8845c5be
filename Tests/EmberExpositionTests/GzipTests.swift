import Foundation
import XCTest

@testable import EmberExposition

final class GzipTests: XCTestCase {
    private func sampleInput() throws -> [UInt8] {
        Array(try OracleFamilies.text().utf8)
    }

    func testRoundTripThroughInflate() throws {
        let input = try sampleInput()

        let compressed = try Gzip.compress(input)

        XCTAssertEqual(Array(compressed.prefix(2)), [0x1F, 0x8B], "gzip magic number")
        XCTAssertLessThan(compressed.count, input.count / 3)
        XCTAssertEqual(try inflateGzip(compressed, expectedSize: input.count), input)
    }

    /// The cache keeps a compressed body for a whole sample interval, so it must not keep the
    /// worst-case buffer, which is as large as the input.
    func testResultKeepsNoScratchCapacity() throws {
        let input = try sampleInput()

        let compressed = try Gzip.compress(input)

        XCTAssertLessThan(compressed.capacity, input.count / 2)
    }

    func testEmptyAndIncompressibleInput() throws {
        XCTAssertEqual(try inflateGzip(try Gzip.compress([]), expectedSize: 0), [])

        var generator = SplitMix64(seed: 7)
        let random = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let compressed = try Gzip.compress(random)
        XCTAssertEqual(try inflateGzip(compressed, expectedSize: random.count), random)
    }

    /// Random bytes come out as stored blocks of at most 65 535 bytes. The bound must hold for
    /// inputs of exactly one block, one byte more, and several blocks, or the second attempt
    /// fails with an output that does not fit.
    func testStoredBlocksFitTheBound() throws {
        var generator = SplitMix64(seed: 3)
        for count in [1, 65_535, 65_536, 3 * 65_535 + 17] {
            let random = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }

            let compressed = try Gzip.compress(random)

            XCTAssertLessThanOrEqual(compressed.count, Gzip.bound(count), "\(count) bytes")
            XCTAssertEqual(try inflateGzip(compressed, expectedSize: count), random, "\(count) bytes")
        }
    }

    func testEveryLevelRoundTrips() throws {
        let input = try sampleInput()

        for level in Gzip.fastestLevel...Gzip.bestLevel {
            let compressed = try Gzip.compress(input, level: level)

            XCTAssertLessThan(compressed.count, input.count / 3, "level \(level)")
            XCTAssertEqual(try inflateGzip(compressed, expectedSize: input.count), input, "level \(level)")
        }
    }

    /// igzip has levels 0 to 3. Any other level fails before compressing, not with a wrong body.
    func testInvalidLevelThrows() {
        for level: Int32 in [-1, 4, 13] {
            XCTAssertThrowsError(try Gzip.compress([1, 2, 3], level: level)) { error in
                XCTAssertEqual((error as? GzipError)?.call, "igzip")
            }
        }
    }

    func testGzipCommandDecompresses() throws {
        let input = try sampleInput()
        let compressed = try Gzip.compress(input)
        let path = NSTemporaryDirectory() + "ember-gzip-\(getpid()).gz"
        try Data(compressed).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-d", "-c", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let decompressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()

        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual([UInt8](decompressed), input)
    }
}
