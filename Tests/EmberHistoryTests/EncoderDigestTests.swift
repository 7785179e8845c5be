import XCTest

@testable import EmberHistory

/// The encoder's output must not change when its code is made cheaper, because stored chunks are read
/// back by the same decoder. The expected digests were taken from the encoder before its bit writer,
/// exponent search and chunk start were made cheaper.
final class EncoderDigestTests: XCTestCase {
    /// A xorshift generator, so that the values are the same on every run and platform.
    private struct Generator {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15

        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }

        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// Returns a value of one of the shapes kernel attributes have: integers, multiples of powers of
    /// ten, short decimals, floats without a short decimal form, zeros of both signs, large integers
    /// near 2^53, and non-finite values.
    private static func value(_ generator: inout Generator, around base: Double) -> Double {
        switch generator.below(12) {
        case 0: return base
        case 1: return base + Double(generator.below(5))
        case 2: return Double(generator.below(2_000)) * 1_000_000
        case 3: return Double(generator.below(100)) * 1_000_000_000
        case 4: return Double(generator.below(100_000)) / 100
        case 5: return Double(generator.below(1_000_000)) / 1_000_000 - 0.5
        case 6: return Double(bitPattern: generator.next() >> 2) / 1e10
        case 7: return generator.below(2) == 0 ? 0 : -0.0
        case 8: return 9_007_199_254_740_992 - Double(generator.below(3_000))
        case 9: return -Double(generator.below(70_000)) * 1_000
        case 10: return generator.below(4) == 0 ? .nan : 1e300
        default: return base * 0.001
        }
    }

    /// FNV-1a over the bytes and the point count of every chunk, the open one sealed as it is.
    private static func digest(_ chunks: [SealedChunk], into hash: inout UInt64) {
        func mix(_ byte: UInt8) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        for chunk in chunks {
            chunk.bytes.forEach(mix)
            withUnsafeBytes(of: Int64(chunk.count).littleEndian) { $0.forEach(mix) }
        }
    }

    func testRingsOfEveryLayoutKeepBytes() {
        var generator = Generator()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let shapes: [(fields: Int, layout: ChunkLayout)] = [(1, .independent), (3, .counter), (5, .gauge)]
        for (fields, layout) in shapes {
            for _ in 0..<40 {
                var ring = CompressedRing(capacity: 256, fieldCount: fields, layout: layout)
                let base = Double(generator.below(5_000))
                // Runs of steady values between the random ones, so that runs and restarts both occur.
                var time: Int64 = 0
                var previous = PointValues(count: fields)
                for _ in 0..<300 {
                    time += generator.below(8) == 0 ? Int64(1 + generator.below(4)) : 1
                    if generator.below(3) != 0 {
                        for index in 0..<fields {
                            previous[index] = Self.value(&generator, around: base)
                        }
                    }
                    ring.append(time: time, values: previous)
                }
                Self.digest(ring.chunks, into: &hash)
            }
        }

        XCTAssertEqual(hash, Self.ringDigest)
    }

    func testTierBucketsKeepBytes() {
        var generator = Generator(state: 0x2545_f491_4f6c_dd1d)
        let tier = HistoryTier(name: "minute", widthSeconds: 60, capacity: 1440)
        let keys = (0..<30).map { "series\($0)" }
        for second in 0..<7_200 {
            for (index, key) in keys.enumerated() where generator.below(4) != 0 {
                let value = Self.value(&generator, around: Double(index * 37))
                let kind: SeriesKind = index % 3 == 0 ? .counter : (index % 3 == 1 ? .gauge : .maximum)
                var stored = value
                if kind == .counter {
                    // A counter that grows, with the value's jitter on top where it is finite.
                    stored = Double(second * index) + (value.isFinite ? abs(value) : 0)
                }
                tier.add(key, kind: kind, value: stored, atSeconds: Double(second), long: false)
            }
        }
        tier.advance(toSeconds: 7_260)

        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for series in tier.persistedSeries {
            Self.digest(series.chunks, into: &hash)
        }
        XCTAssertEqual(hash, Self.tierDigest)
    }

    func testExponentSearchMatchesEveryCandidate() {
        var generator = Generator(state: 0x1234_5678_9abc_def1)
        for _ in 0..<20_000 {
            let value = Self.value(&generator, around: Double(generator.below(1_000_000)))
            XCTAssertEqual(FieldMode.exponent(for: value), Self.referenceExponent(value), "\(value)")
        }
        for value in [-0.0, 0, 1e15, 1e16, 9_007_199_254_740_991, 9_007_199_254_740_992, -9e15, 4.5e18, 1e-7] {
            XCTAssertEqual(FieldMode.exponent(for: value), Self.referenceExponent(value), "\(value)")
        }
    }

    /// Returns the first candidate exponent that stores the value, as the search did before it
    /// skipped negative exponents that do not divide an integer.
    private static func referenceExponent(_ value: Double) -> Int? {
        guard value.isFinite else { return nil }
        guard value != 0 || value.sign == .minus else { return 0 }
        let candidates = value == value.rounded() ? [-9, -6, -3] + Array(0...6) : Array(0...6)
        return candidates.first { FieldMode.scaled(value, exponent: $0) != nil }
    }

    private static let ringDigest: UInt64 = 11_993_198_566_682_073_605
    private static let tierDigest: UInt64 = 2_464_174_268_688_632_000
}
