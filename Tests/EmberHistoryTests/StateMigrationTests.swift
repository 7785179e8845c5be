import XCTest

@testable import EmberHistory

/// Loading state files of format version 1, whose chunks used the older code.
final class StateMigrationTests: XCTestCase {
    /// Writes points as a version 1 chunk: the time in 64 bits, each field as a scaled integer at
    /// exponent 0 (mode bit, 3-bit exponent, ``IntegerCode``), then per point the time's
    /// delta-of-delta and each field's delta in ``IntegerCode``. In the counter layout, field 1's
    /// delta is taken from `previous + field 0`.
    private func versionOneChunk(_ points: [(Int64, [Double])], layout: ChunkLayout = .independent) -> SealedChunk {
        var writer = BitWriter()
        writer.write(UInt64(bitPattern: points[0].0), bits: 64)
        for value in points[0].1 {
            writer.writeBit(true)
            writer.write(0, bits: 3)
            IntegerCode.write(Int64(value), to: &writer)
        }
        var lastDelta: Int64 = 0
        for (previous, point) in zip(points, points.dropFirst()) {
            let delta = point.0 - previous.0
            IntegerCode.write(delta - lastDelta, to: &writer)
            lastDelta = delta
            for (index, (old, new)) in zip(previous.1, point.1).enumerated() {
                let prediction = Int64(old) + (index == 1 && layout == .counter ? Int64(point.1[0]) : 0)
                IntegerCode.write(Int64(new) - prediction, to: &writer)
            }
        }
        return SealedChunk(
            bytes: writer.bytes[...], count: points.count, firstTime: points[0].0, lastTime: points.last!.0)
    }

    private func versionOneFile(_ series: [PersistedState.Series]) -> [UInt8] {
        let state = PersistedState(
            machineID: "m", bootID: "b", savedAtSeconds: 1_800_000_000, counters: [:],
            tiers: [PersistedState.Tier(name: "minute", widthSeconds: 60, series: series)])
        var bytes = StateFileFormat.encode(state)
        // The version is outside the checksummed payload.
        bytes[8] = 1
        return bytes
    }

    func testVersionOneGaugeTierIsMigrated() throws {
        let points: [(Int64, [Double])] = (0..<300).map { minute in
            let value = Double(40 + minute % 7)
            return (Int64(1_000 + minute), [value - 1, value + 1, value * 60, value, 60])
        }
        let chunks = [versionOneChunk(Array(points[..<200])), versionOneChunk(Array(points[200...]))]
        let file = versionOneFile([PersistedState.Series(key: "t", kind: .gauge, chunks: chunks, open: nil)])

        let state = try StateFileFormat.decode(file)
        let history = History(HistoryConfiguration())
        XCTAssertEqual(history.restore(state.tiers), [])

        var restored: [(Int64, [Double])] = []
        try history.minute.forEachBucket(of: "t", in: Int64.min...Int64.max, includeOpen: false) {
            restored.append(($0, $1.array))
        }
        XCTAssertEqual(restored.map(\.0), points.map(\.0))
        XCTAssertEqual(restored.map(\.1), points.map(\.1))
    }

    func testVersionOneCounterTierIsMigrated() throws {
        var last = 1_000_000.0
        let points: [(Int64, [Double])] = (0..<100).map { minute in
            let increase = Double(600 + minute % 13)
            last += increase
            return (Int64(minute), [increase, last, 60])
        }
        let file = versionOneFile([
            PersistedState.Series(
                key: "c", kind: .counter, chunks: [versionOneChunk(points, layout: .counter)], open: nil),
        ])

        let state = try StateFileFormat.decode(file)

        var decoded: [[Double]] = []
        for chunk in state.tiers[0].series[0].chunks {
            try ChunkDecoder.forEach(chunk, fieldCount: 3, layout: .counter) { _, values in
                decoded.append(values.array)
                return true
            }
        }
        XCTAssertEqual(decoded, points.map(\.1))
    }

    func testTruncatedVersionOneChunkIsCorrupt() {
        let points: [(Int64, [Double])] = (0..<50).map { (Int64($0), [Double($0 * 37 % 11)]) }
        var chunk = versionOneChunk(points)
        chunk = SealedChunk(bytes: chunk.bytes.prefix(12), count: chunk.count, firstTime: chunk.firstTime,
                            lastTime: chunk.lastTime)
        let file = versionOneFile([PersistedState.Series(key: "t", kind: .gauge, chunks: [chunk], open: nil)])

        XCTAssertThrowsError(try StateFileFormat.decode(file)) { error in
            XCTAssertEqual(error as? StateFileError, .corrupt("data ends early"))
        }
    }
}
