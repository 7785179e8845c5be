import XCTest

@testable import EmberHistory

final class ChunkCodecTests: XCTestCase {
    func decode(_ ring: CompressedRing) throws -> [(Int64, [Double])] {
        var points: [(Int64, [Double])] = []
        try ring.forEach(in: Int64.min...Int64.max) { points.append(($0, $1.array)) }
        return points
    }

    func testIntegerCodeRoundTripsEdgeValues() throws {
        let values: [Int64] = [0, 1, -1, 31, -32, 32, 4095, -4096, 1 << 20, -(1 << 31), Int64.max, Int64.min]
        var writer = BitWriter()
        values.forEach { IntegerCode.write($0, to: &writer) }
        var reader = BitReader(writer.bytes, bitCount: writer.bitCount)

        for value in values {
            XCTAssertEqual(try IntegerCode.read(from: &reader), value)
        }
        XCTAssertEqual(reader.remainingBits, 0)
    }

    func testDecimalExponentDetection() {
        XCTAssertEqual(FieldMode.exponent(for: 42), 0)
        XCTAssertEqual(FieldMode.exponent(for: 45.1), 1)
        XCTAssertEqual(FieldMode.exponent(for: 41.615), 3)
        XCTAssertEqual(FieldMode.exponent(for: 1.0 / 3.0), nil)
        XCTAssertEqual(FieldMode.exponent(for: .nan), nil)
        XCTAssertEqual(FieldMode.exponent(for: 1e300), nil)
    }

    func testRingRoundTripsMixedValues() throws {
        var ring = CompressedRing(capacity: 1000, fieldCount: 2)
        var expected: [(Int64, [Double])] = []
        var time: Int64 = 1_000
        for index in 0..<600 {
            // Irregular steps, quantised values, then non-decimal and non-finite ones.
            time += Int64(1 + index % 3)
            let first = index < 300 ? Double(40_000 + (index * 37) % 900) / 1000 : Double(index) / 7
            let second: Double = [Double.nan, .infinity, -0.5, 1e18, Double(index)][index % 5]
            expected.append((time, [first, second]))
            XCTAssertTrue(ring.append(time: time, values: PointValues([first, second])))
        }

        let decoded = try decode(ring)

        XCTAssertEqual(decoded.count, expected.count)
        for (got, want) in zip(decoded, expected) {
            XCTAssertEqual(got.0, want.0)
            XCTAssertEqual(PointValues(got.1), PointValues(want.1), "at time \(want.0)")
        }
    }

    func testRingRejectsTimeNotAfterNewest() throws {
        var ring = CompressedRing(capacity: 10, fieldCount: 1)
        XCTAssertTrue(ring.append(time: 5, values: PointValues([1])))

        XCTAssertFalse(ring.append(time: 5, values: PointValues([2])))
        XCTAssertFalse(ring.append(time: 4, values: PointValues([3])))

        XCTAssertEqual(try decode(ring).map(\.0), [5])
    }

    func testRingDropsPointsBeyondCapacity() throws {
        var ring = CompressedRing(capacity: 300, fieldCount: 1)
        for time in 0..<1000 {
            ring.append(time: Int64(time), values: PointValues([Double(time)]))
            XCTAssertEqual(ring.count, min(time + 1, 300))
        }

        let decoded = try decode(ring)

        XCTAssertEqual(decoded.count, 300)
        XCTAssertEqual(decoded.first?.0, 700)
        XCTAssertEqual(decoded.last?.0, 999)
        XCTAssertLessThanOrEqual(ring.sealed.reduce(0) { $0 + $1.count }, 300 + ring.chunkPoints)
    }

    func testRingRangeSelectsPoints() throws {
        var ring = CompressedRing(capacity: 1000, fieldCount: 1)
        for time in 0..<500 {
            ring.append(time: Int64(time * 2), values: PointValues([Double(time)]))
        }
        var times: [Int64] = []

        try ring.forEach(in: 301...309) { time, _ in times.append(time) }

        XCTAssertEqual(times, [302, 304, 306, 308])
    }

    func testRestoredRingDecodesSameAndContinues() throws {
        var ring = CompressedRing(capacity: 500, fieldCount: 1)
        for time in 0..<200 {
            ring.append(time: Int64(time), values: PointValues([Double(time) * 0.25]))
        }

        var restored = try CompressedRing(capacity: 500, fieldCount: 1, chunks: ring.chunks)
        restored.append(time: 200, values: PointValues([50]))

        let decoded = try decode(restored)
        XCTAssertEqual(decoded.count, 201)
        XCTAssertEqual(decoded[199].1, [49.75])
        XCTAssertEqual(decoded[200].1, [50])
    }

    func testRestoreRejectsOverlappingChunks() {
        var ring = CompressedRing(capacity: 500, fieldCount: 1)
        for time in 0..<200 {
            ring.append(time: Int64(time), values: PointValues([1]))
        }
        let chunks = ring.chunks

        XCTAssertThrowsError(try CompressedRing(capacity: 500, fieldCount: 1, chunks: chunks + chunks))
    }

    func testTruncatedChunkThrows() {
        var ring = CompressedRing(capacity: 500, fieldCount: 1)
        for time in 0..<100 {
            ring.append(time: Int64(time), values: PointValues([Double(time) / 3]))
        }
        let chunk = ring.chunks[0]
        let cut = SealedChunk(bytes: chunk.bytes.prefix(chunk.bytes.count / 2), count: chunk.count,
                              firstTime: chunk.firstTime, lastTime: chunk.lastTime)

        XCTAssertThrowsError(try ChunkDecoder.forEach(cut, fieldCount: 1) { _, _ in true }) { error in
            XCTAssertEqual(error as? HistoryDecodingError, .truncated)
        }
    }

    func testQuantisedDriftCompressesWell() {
        var ring = CompressedRing(capacity: 900, fieldCount: 1)
        var millidegrees = 45_000
        for time in 0..<900 {
            // A temperature drifting by up to ±0.1 °C a second, in millidegree steps.
            millidegrees += (time * 7919) % 201 - 100
            ring.append(time: Int64(time), values: PointValues([Double(millidegrees) / 1000]))
        }

        XCTAssertLessThan(Double(ring.byteCount) / 900, 2.0, "bytes per point")
    }
}

extension ChunkCodecTests {
    func testLargeValueAfterFineResolutionStartsChunk() throws {
        var ring = CompressedRing(capacity: 1000, fieldCount: 1)
        // Full chunks at exponent 6 give the next chunk that hint, but 1e12 × 10^6 exceeds 2^53,
        // so the chunk must fall back to exponent 0.
        for time in 0..<ring.chunkPoints {
            ring.append(time: Int64(time), values: PointValues([0.000001 * Double(time)]))
        }
        ring.append(time: 500, values: PointValues([1e12]))
        ring.append(time: 501, values: PointValues([1e12 + 1]))

        let decoded = try decode(ring)

        XCTAssertEqual(decoded.suffix(2).map(\.1), [[1e12], [1e12 + 1]])
    }
}

extension ChunkCodecTests {
    func testCounterLayoutIsExactAndSmaller() throws {
        var predicted = CompressedRing(capacity: 1000, fieldCount: 3, layout: .counter)
        var independent = CompressedRing(capacity: 1000, fieldCount: 3)
        var expected: [[Double]] = []
        var last = 1_000_000.0
        for bucket in 0..<500 {
            let increase = Double(10_000 + (bucket * 7919) % 5000)
            // Every 97th bucket the counter resets and ends the bucket at its increase.
            last = bucket % 97 == 96 ? increase : last + increase
            let values = [increase, last, 60]
            expected.append(values)
            predicted.append(time: Int64(bucket), values: PointValues(values))
            independent.append(time: Int64(bucket), values: PointValues(values))
        }

        XCTAssertEqual(try decode(predicted).map(\.1), expected)
        XCTAssertLessThan(predicted.byteCount * 3, independent.byteCount * 2)
    }
}
