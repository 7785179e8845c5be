import XCTest

@testable import EmberHistory

/// Chunks of repeated values must keep the bytes the encoder wrote before single-field repeats and
/// repeated bucket values took their shortcuts. The expected digests were taken from that encoder.
final class RepeatEncodingTests: XCTestCase {
    /// Values with repeats at the same and at other steps, in both field modes, around zero, near the
    /// 2^50 limit of the shortcut, and NaN.
    private static let sequences: [[Double]] = [
        Array(repeating: 41.5, count: 70) + [41.625, 41.625, 41.5, 41.5, 41.5],
        [0, 0, -0.0, -0.0, 0, 1e-7, 1e-7, .nan, .nan, .nan, 3, 3, .infinity, .infinity, 3],
        [1_125_899_906_842_623.0, 1_125_899_906_842_623.0, 1_125_899_906_842_624.0, 1_125_899_906_842_624.0,
         112_589_990_684_262.5, 112_589_990_684_262.5, 450_359_962_737_049.6, 450_359_962_737_049.6],
        [1_416_000_000, 1_416_000_000, 1_800_000_000, 1_800_000_000, 1_800_000_000, 0.1, 0.1, 0.3, 0.3],
        (0..<200).map { Double(($0 / 7) % 5) * 0.25 },
    ]

    /// Times with a gap in the middle, so that a repeated value also follows a changed step.
    private static func time(_ index: Int) -> Int64 {
        index < 20 ? Int64(index) : Int64(index * 2 + 5)
    }

    /// FNV-1a over the bytes and the point count of every chunk, the open one sealed as it is.
    private func digest(_ chunks: [SealedChunk]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        for chunk in chunks {
            chunk.bytes.forEach(mix)
            withUnsafeBytes(of: Int64(chunk.count).littleEndian) { $0.forEach(mix) }
        }
        return hash
    }

    func testSingleFieldRepeatsKeepBytes() {
        var digests: [UInt64] = []
        for values in Self.sequences {
            var ring = CompressedRing(capacity: 256, fieldCount: 1)
            for (index, value) in values.enumerated() {
                ring.append(time: Self.time(index), values: PointValues([value]))
            }
            digests.append(digest(ring.chunks))
        }

        XCTAssertEqual(digests, Self.singleFieldDigests)
    }

    func testRepeatedBucketValuesKeepBytes() {
        var digests: [UInt64] = []
        for values in Self.sequences {
            let tier = HistoryTier(name: "minute", widthSeconds: 60, capacity: 1440)
            for (index, value) in values.enumerated() {
                // Four samples a bucket, so that buckets see repeats within them.
                let seconds = Double(Self.time(index)) * 15
                tier.add("gauge", kind: .gauge, value: value, atSeconds: seconds, long: false)
                tier.add("counter", kind: .counter, value: abs(value), atSeconds: seconds, long: false)
            }
            // Past the last bucket, so that it closes, but within the retention, so that nothing expires.
            tier.advance(toSeconds: Double(Self.time(values.count)) * 15 + 60)
            for key in ["gauge", "counter"] {
                let entry = tier.persistedSeries.first { $0.key == key }
                digests.append(digest(entry?.chunks ?? []))
            }
        }

        XCTAssertEqual(digests, Self.bucketDigests)
    }

    private static let singleFieldDigests: [UInt64] = [
        1459380088507651169, 16296910020498329123, 17382865836425417978, 835236440584387128, 15868166753883728710,
    ]
    private static let bucketDigests: [UInt64] = [
        6090520929007978360, 12296016961883450089, 13715999897007313101, 1539666337688969163, 10075273131033616854,
        5082500778576215141, 12808894049357398400, 15075758507652773284, 12601983198081966604, 8552292114300300948,
    ]
}
