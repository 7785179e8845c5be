import XCTest

@testable import EmberHistory

/// Round trips and sizes of the chunk code: residual and run codes, scales, special floats.
final class ChunkEncodingTests: XCTestCase {
    private func decode(_ ring: CompressedRing) throws -> [(Int64, [Double])] {
        var points: [(Int64, [Double])] = []
        try ring.forEach(in: Int64.min...Int64.max) { points.append(($0, $1.array)) }
        return points
    }

    private func assertRoundTrip(
        _ points: [(Int64, [Double])], layout: ChunkLayout = .independent, capacity: Int = 4096,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var ring = CompressedRing(capacity: capacity, fieldCount: points[0].1.count, layout: layout)
        for (time, values) in points {
            XCTAssertTrue(ring.append(time: time, values: PointValues(values)), "time \(time)", file: file, line: line)
        }

        let decoded = try decode(ring)

        XCTAssertEqual(decoded.count, points.count, file: file, line: line)
        for (got, want) in zip(decoded, points) {
            XCTAssertEqual(got.0, want.0, file: file, line: line)
            XCTAssertEqual(got.1.map(\.bitPattern), want.1.map(\.bitPattern), "at time \(want.0)",
                           file: file, line: line)
        }
    }

    func testResidualCodeRoundTripsEdgeValues() throws {
        let values: [Int64] = [0, 1, -1, 2, 900, -923, 0, 0, 1 << 40, -(1 << 52), Int64.max, Int64.min, 3, 0, -7]
        var writer = BitWriter()
        var state = ResidualCode.State()
        values.forEach { ResidualCode.write($0, state: &state, to: &writer) }
        var reader = BitReader(writer.bytes, bitCount: writer.bitCount)
        var readState = ResidualCode.State()

        for value in values {
            XCTAssertEqual(try ResidualCode.read(state: &readState, from: &reader), value)
        }
        XCTAssertEqual(reader.remainingBits, 0)
    }

    func testResidualCodeAdaptsToStepSize() {
        var writer = BitWriter()
        var state = ResidualCode.State()
        for index in 0..<100 {
            ResidualCode.write(index % 2 == 0 ? 923 : -923, state: &state, to: &writer)
        }

        // 923 needs 10 bits. With k adapted, each code is a flag, a sign, a short quotient and k bits.
        XCTAssertLessThan(writer.bitCount, 100 * 14)
    }

    func testWriterPrefixStaysOutOfStream() throws {
        var writer = BitWriter(prefixCount: 24)
        writer.storePrefix(UInt64(0xDEAD_BEEF), at: 16)
        let values: [UInt64] = [1, 5, 1 << 40, UInt64.max]
        values.forEach { GammaCode.write($0, to: &writer) }
        var reader = BitReader(writer.stream, bitCount: writer.bitCount)

        for value in values {
            XCTAssertEqual(try GammaCode.read(from: &reader), value)
        }
        XCTAssertEqual(writer.bitCount, values.map(GammaCode.bitCount).reduce(0, +))
        XCTAssertEqual(writer.loadPrefix(as: UInt64.self, at: 16), 0xDEAD_BEEF)
        XCTAssertEqual(writer.bytes.count, 24 + (writer.bitCount + 7) / 8)
    }

    func testOpenChunkIsOneSmallAllocation() {
        var ring = CompressedRing(capacity: 2400, fieldCount: 5)
        for hour in 0..<300 {
            ring.append(time: Int64(hour), values: PointValues([85, 85, 85 * 3600, 85, 3600]))
        }

        // The five field states (120 bytes) and room for 48 bytes of bits, which a constant chunk does
        // not outgrow, in one array.
        let open = ring.open?.allocatedByteEstimate ?? 0
        XCTAssertGreaterThan(open, 0)
        XCTAssertLessThanOrEqual(open, StorageBreakdown.arraySize(capacity: 120 + 48, stride: 1))
    }

    func testGammaCodeRoundTrips() throws {
        let values: [UInt64] = [1, 2, 3, 7, 8, 1000, 1 << 40, UInt64.max]
        var writer = BitWriter()
        values.forEach { GammaCode.write($0, to: &writer) }
        var reader = BitReader(writer.bytes, bitCount: writer.bitCount)

        for value in values {
            XCTAssertEqual(try GammaCode.read(from: &reader), value)
        }
        XCTAssertEqual(writer.bitCount, values.map(GammaCode.bitCount).reduce(0, +))
    }

    func testSpecialFloatsRoundTrip() throws {
        let specials: [Double] = [.nan, .infinity, -.infinity, -0.0, 0, 1e308, -.leastNonzeroMagnitude, 0.1]
        var points: [(Int64, [Double])] = []
        for index in 0..<200 {
            points.append((Int64(index), [specials[index % specials.count], specials[(index / 3) % specials.count]]))
        }

        try assertRoundTrip(points)
    }

    func testNegativeZeroKeepsItsSign() throws {
        try assertRoundTrip([(1, [0]), (2, [-0.0]), (3, [0]), (4, [-0.0]), (5, [-0.0])])
        XCTAssertNil(FieldMode.scaled(-0.0, exponent: 0), "a scaled field would store -0 as 0")
    }

    func testHugeCountersRoundTrip() throws {
        // Beyond 2^53 a Double is no longer every integer, so these take XOR mode or a coarser scale.
        let values: [Double] = [9_007_199_254_740_992, 9_007_199_254_740_994, 1.8446744073709552e19, 4_294_967_295, 0]
        var points: [(Int64, [Double])] = []
        var previous = 0.0
        for (index, value) in values.enumerated() {
            points.append((Int64(index), [value >= previous ? value - previous : value, value, 1]))
            previous = value
        }

        try assertRoundTrip(points, layout: .counter)
    }

    func testCounterResetsAndWrapsRoundTrip() throws {
        var points: [(Int64, [Double])] = []
        var last = 4_294_960_000.0
        for bucket in 0..<400 {
            let increase = Double(1_000 + (bucket * 7919) % 3000)
            // A 32-bit counter wraps every few buckets' worth, and every 101st bucket it resets.
            last = bucket % 101 == 100 ? increase : (last + increase).truncatingRemainder(dividingBy: 4_294_967_296)
            points.append((Int64(bucket), [increase, last, 60]))
        }

        try assertRoundTrip(points, layout: .counter)
    }

    func testGapsAndIrregularTimesRoundTrip() throws {
        var points: [(Int64, [Double])] = []
        var time: Int64 = -5
        for index in 0..<300 {
            // Regular steps with gaps: a run of predicted points must end at a changed step.
            time += index % 50 == 49 ? 3600 : 1
            points.append((time, [Double(index / 10)]))
        }

        try assertRoundTrip(points)
    }

    func testConstantSeriesCostsFewBytes() {
        var gauge = CompressedRing(capacity: 2400, fieldCount: 5)
        var counter = CompressedRing(capacity: 2400, fieldCount: 3, layout: .counter)
        for hour in 0..<2400 {
            gauge.append(time: Int64(hour), values: PointValues([85, 85, 85 * 3600, 85, 3600]))
            counter.append(time: Int64(hour), values: PointValues([0, 17, 3600]))
        }

        // Three chunks of 600 points each: a header and one run code per chunk.
        XCTAssertLessThan(gauge.byteCount, 4 * 40)
        XCTAssertLessThan(counter.byteCount, 4 * 30)
    }

    func testSteadyCounterIsOneRun() throws {
        var ring = CompressedRing(capacity: 1000, fieldCount: 3, layout: .counter)
        for bucket in 0..<1000 {
            // The same increase every bucket: field 1 follows its prediction, previous + increase.
            ring.append(time: Int64(bucket), values: PointValues([500, 1_000_000 + Double(bucket) * 500, 60]))
        }

        XCTAssertLessThan(ring.byteCount, 4 * 30)
        XCTAssertEqual(try decode(ring).last?.1, [500, 1_000_000 + 999 * 500, 60])
    }

    func testMultiplesOfPowersOfTenUseNegativeExponent() throws {
        XCTAssertEqual(FieldMode.exponent(for: 1_416_000_000), -6)
        XCTAssertEqual(FieldMode.exponent(for: 2_400_000), -3)
        XCTAssertEqual(FieldMode.exponent(for: 40), 0)
        XCTAssertEqual(FieldMode.exponent(for: 0), 0)
        XCTAssertEqual(FieldMode.exponent(for: 45.23), 2)

        let levels: [Double] = [1_200_000_000, 1_416_000_000, 1_608_000_000, 2_400_000_000]
        let frequencies = (0..<800).map { levels[($0 * 7) % 13 % 4] }
        var ring = CompressedRing(capacity: 1000, fieldCount: 1)
        for (time, frequency) in frequencies.enumerated() {
            ring.append(time: Int64(time), values: PointValues([frequency]))
        }

        XCTAssertEqual(try decode(ring).map { $0.1[0] }, frequencies)
        XCTAssertLessThan(Double(ring.byteCount) / 800, 2, "bytes per point")
    }

    func testOpenChunkSealedMidRunContinues() throws {
        var ring = CompressedRing(capacity: 1000, fieldCount: 1)
        for time in 0..<30 {
            ring.append(time: Int64(time), values: PointValues([time < 10 ? Double(time) : 10]))
        }

        // Saving seals a copy of the open chunk with its pending run, and the restored ring goes on.
        var restored = try CompressedRing(capacity: 1000, fieldCount: 1, chunks: ring.chunks)
        restored.append(time: 30, values: PointValues([11]))
        restored.append(time: 31, values: PointValues([11]))

        let decoded = try decode(restored)
        XCTAssertEqual(decoded.count, 32)
        XCTAssertEqual(decoded[29].1, [10])
        XCTAssertEqual(decoded[31].1, [11])
    }

    func testRunLongerThanChunkIsRejected() {
        var ring = CompressedRing(capacity: 1000, fieldCount: 1)
        for time in 0..<20 {
            ring.append(time: Int64(time), values: PointValues([5]))
        }
        let chunk = ring.chunks[0]
        let short = SealedChunk(bytes: chunk.bytes, count: 10, firstTime: chunk.firstTime, lastTime: chunk.lastTime)

        // Point 1 sets the time step, so it is written out. Points 2 to 19 are one run.
        XCTAssertThrowsError(try ChunkDecoder.forEach(short, fieldCount: 1) { _, _ in true }) { error in
            XCTAssertEqual(error as? HistoryDecodingError,
                           .invalid("run of 18 points is longer than the 8 left in the chunk"))
        }
    }
}

extension ChunkEncodingTests {
    /// Gauge buckets of a temperature on a 0.923 °C grid sampled 60 times a minute.
    private func temperatureBuckets(_ count: Int) -> [(Int64, [Double])] {
        var level = 45
        return (0..<count).map { minute in
            level += [0, 1, -1, 0, 2, -2, 0][(minute * 5) % 7]
            let low = Double(level * 923) / 1000
            let high = Double((level + minute % 3) * 923) / 1000
            let last = minute % 2 == 0 ? low : high
            let sum = (low * 40 + high * 20 * 1000).rounded() / 1000
            return (Int64(minute), [low, high, sum, last, 60])
        }
    }

    func testGaugeLayoutRoundTrips() throws {
        try assertRoundTrip(temperatureBuckets(1000), layout: .gauge)
    }

    func testGaugeLayoutFlatBucketsCostLittle() {
        var gauge = CompressedRing(capacity: 2000, fieldCount: 5, layout: .gauge)
        var independent = CompressedRing(capacity: 2000, fieldCount: 5)
        for minute in 0..<2000 {
            // A flat bucket whose value moves between buckets: only `last` has a residual.
            let value = Double(40 + minute % 5)
            let values = PointValues([value, value, value * 60, value, 60])
            gauge.append(time: Int64(minute), values: values)
            independent.append(time: Int64(minute), values: values)
        }

        // A flag, the time, the count, four fields at one bit each, and about five bits for `last`.
        XCTAssertLessThan(Double(gauge.byteCount) / 2000, 1.5, "bytes per bucket")
        XCTAssertLessThan(gauge.byteCount * 2, independent.byteCount)
    }

    func testGaugeLayoutSpecialValuesRoundTrip() throws {
        let specials: [Double] = [.nan, .infinity, -.infinity, -0.0, 1e300, 9_007_199_254_740_993]
        var points = temperatureBuckets(300)
        for index in stride(from: 50, to: 300, by: 37) {
            // A special value in any field falls back to XOR mode for that chunk's field.
            points[index].1[index % 5] = specials[index % specials.count]
        }

        try assertRoundTrip(points, layout: .gauge)
    }

    func testGaugeLayoutWrapsHugeSumsExactly() throws {
        // count × (min + max) overflows Int64. The prediction wraps on both sides, so the sum is exact.
        let big = 4_000_000_000_000_000.0
        let points: [(Int64, [Double])] = (0..<100).map { index in
            (Int64(index), [big, big + 2048, big * 2, big + 1024, 3600 + Double(index % 2)])
        }

        try assertRoundTrip(points, layout: .gauge)
    }
}
