import XCTest

@testable import EmberHistory

/// A ring's byte arena: the chunk headers in front of each sealed chunk, and the arena's size.
final class RingArenaTests: XCTestCase {
    func testHeaderRoundTripsEdgeValues() {
        let headers = [
            ChunkHeader(byteCount: 0, count: 1, firstTime: 0, lastTime: 0),
            ChunkHeader(byteCount: 9, count: 64, firstTime: 29_000_000, lastTime: 29_000_063),
            ChunkHeader(byteCount: 70_000, count: 1024, firstTime: -5, lastTime: 3),
            ChunkHeader(byteCount: 1, count: 1, firstTime: .min, lastTime: .max),
            ChunkHeader(byteCount: 127, count: 128, firstTime: .max, lastTime: .max),
        ]
        var bytes: [UInt8] = [0xFF]
        for header in headers {
            header.append(to: &bytes)
        }

        var offset = 1
        for header in headers {
            let (read, next) = ChunkHeader.read(bytes, at: offset)
            XCTAssertEqual(read, header)
            XCTAssertEqual(next - offset, header.encodedSize, "size of \(header)")
            offset = next
        }
        XCTAssertEqual(offset, bytes.count)
    }

    func testTypicalHeaderIsSmall() {
        let minuteChunk = ChunkHeader(byteCount: 2000, count: 360, firstTime: 29_000_000, lastTime: 29_000_359)

        XCTAssertLessThanOrEqual(minuteChunk.encodedSize, 10)
    }

    func testRingKeepsChunkTimesAcrossDrops() throws {
        var ring = CompressedRing(capacity: 256, fieldCount: 1)
        for step in 0..<1000 {
            ring.append(time: Int64(step) * 7 - 3000, values: PointValues([Double(step % 13)]))
        }

        let sealed = ring.sealed
        let summary = ring.sealedSummary
        XCTAssertEqual(summary.count, sealed.count)
        XCTAssertEqual(summary.firstTime, sealed.first?.firstTime)
        XCTAssertEqual(summary.lastTime, sealed.last?.lastTime)
        XCTAssertEqual(ring.count, 256)
        XCTAssertEqual(ring.lastTime, 999 * 7 - 3000)
        XCTAssertEqual(ring.byteCount, ring.chunks.reduce(0) { $0 + $1.bytes.count })

        let restored = try CompressedRing(capacity: 256, fieldCount: 1, chunks: ring.chunks)
        XCTAssertEqual(restored.chunks.map(\.bytes), ring.chunks.map(\.bytes))
        XCTAssertEqual(restored.chunks.map(\.lastTime), ring.chunks.map(\.lastTime))
        XCTAssertEqual(try restored.last()?.time, 999 * 7 - 3000)
        XCTAssertEqual(try restored.last()?.values[0], Double(999 % 13))
    }

    func testArenaShrinksAfterLargeChunksDrop() {
        var ring = CompressedRing(capacity: 256, fieldCount: 1)
        var generator = SystemRandomNumberGenerator()
        for step in 0..<1000 {
            ring.append(time: Int64(step), values: PointValues([Double.random(in: 0..<1, using: &generator)]))
        }
        let noisyAllocation = ring.sealedAllocationEstimate

        for step in 1000..<2000 {
            ring.append(time: Int64(step), values: PointValues([42]))
        }

        XCTAssertGreaterThan(noisyAllocation, 1500)
        // The arena contains a few constant chunks of about a dozen bytes each, and 32 bytes of array header.
        XCTAssertLessThan(ring.sealedAllocationEstimate, 160)
    }

    func testRestoredArenaHasExactSize() throws {
        var ring = CompressedRing(capacity: 2048, fieldCount: 1)
        for step in 0..<2000 {
            ring.append(time: Int64(step), values: PointValues([Double(step % 97) / 10]))
        }
        let chunks = ring.chunks
        let size = chunks.reduce(0) { total, chunk in
            total + chunk.bytes.count + ChunkHeader(
                byteCount: chunk.bytes.count, count: chunk.count, firstTime: chunk.firstTime,
                lastTime: chunk.lastTime).encodedSize
        }

        let restored = try CompressedRing(capacity: 2048, fieldCount: 1, chunks: chunks)

        // Array takes malloc's usable size as its capacity. glibc may return a free block up to
        // 31 bytes larger than asked, plus its 16-byte rounding, depending on what the heap holds.
        XCTAssertGreaterThanOrEqual(restored.arenaCapacity, size)
        XCTAssertLessThan(restored.arenaCapacity, size + 48)
    }
}

