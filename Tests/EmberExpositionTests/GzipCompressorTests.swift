import XCTest

@testable import EmberExposition

final class GzipCompressorTests: XCTestCase {
    /// One compressor serves successive bodies, each a complete gzip member of its own.
    func testKeptCompressorRoundTripsSuccessiveBodies() throws {
        let compressor = GzipCompressor(idleNanoseconds: 1_000)
        let first = Array(try OracleFamilies.text().utf8)
        let second = Array("node_load1 0.25\n".utf8)

        let firstCompressed = try compressor.compress(first, now: 10)
        let secondCompressed = try compressor.compress(second, now: 20)

        XCTAssertEqual(try inflateGzip(firstCompressed, expectedSize: first.count), first)
        XCTAssertEqual(try inflateGzip(secondCompressed, expectedSize: second.count), second)
        XCTAssertLessThan(firstCompressed.count, first.count / 3)
    }

    /// The compressor stays while scrapes come and is freed once none came for the idle time.
    func testCompressorIsFreedAfterIdleTime() throws {
        let compressor = GzipCompressor(idleNanoseconds: 1_000)
        XCTAssertFalse(compressor.isAllocated)

        _ = try compressor.compress(Array("a 1\n".utf8), now: 5_000)
        compressor.releaseIfIdle(now: 5_999)
        XCTAssertTrue(compressor.isAllocated)

        compressor.releaseIfIdle(now: 6_000)
        XCTAssertFalse(compressor.isAllocated)

        let body = Array("b 2\n".utf8)
        XCTAssertEqual(try inflateGzip(try compressor.compress(body, now: 7_000), expectedSize: body.count), body)
        XCTAssertTrue(compressor.isAllocated)
    }

    /// Random bytes do not fit the first buffer of a quarter of their size, so they take the
    /// second attempt at the worst-case bound.
    func testIncompressibleInputTakesTheSecondAttempt() throws {
        var generator = SplitMix64(seed: 11)
        let random = (0..<50_000).map { _ in UInt8.random(in: 0...255, using: &generator) }

        let compressed = try GzipCompressor().compress(random, now: 1)

        XCTAssertGreaterThan(compressed.count, random.count / 4 + 64)
        XCTAssertEqual(try inflateGzip(compressed, expectedSize: random.count), random)
    }

    func testInvalidLevelThrowsAndKeepsNothing() {
        let compressor = GzipCompressor(level: 13)

        XCTAssertThrowsError(try compressor.compress([1, 2, 3], now: 1)) { error in
            XCTAssertEqual((error as? GzipError)?.call, "igzip")
        }
        XCTAssertFalse(compressor.isAllocated)
    }
}
