/// A sealed run of points, compressed.
///
/// Times are integers in the tier's unit (a sampling cycle, a minute, an hour), stored as
/// delta-of-delta. A regular series so costs one bit per point for its time, as in Facebook's Gorilla
/// ("Gorilla: A Fast, Scalable, In-Memory Time Series Database", Pelkonen et al., VLDB 2015).
/// Each value is stored in one of two modes, chosen per chunk and field:
/// - scaled: a decimal with at most six fractional digits, stored as an integer times 10^-exponent
///   and written as the zigzag delta from the previous one. Many kernel values are integers in milli-units.
/// - XOR: the float's bits XORed with the previous value's, as in Gorilla.
public struct SealedChunk: Sendable {
    public let bytes: [UInt8]
    public let count: Int
    public let firstTime: Int64
    public let lastTime: Int64
}

/// The storage mode of one field in a chunk.
enum FieldMode: Equatable {
    case xor
    /// Integers times 10^-exponent.
    case scaled(exponent: Int)

    static let maximumExponent = 6
    private static let powers: [Double] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

    static func scale(_ exponent: Int) -> Double { powers[exponent] }

    /// Returns the smallest decimal exponent that stores `value` exactly, or nil when none does.
    static func exponent(for value: Double) -> Int? {
        guard value.isFinite else { return nil }
        for exponent in 0...maximumExponent {
            if scaled(value, exponent: exponent) != nil {
                return exponent
            }
        }
        return nil
    }

    /// Returns `value × 10^exponent` as an integer when dividing it back gives `value` exactly.
    static func scaled(_ value: Double, exponent: Int) -> Int64? {
        let product = (value * scale(exponent)).rounded()
        // Beyond 2^53 not every integer is a Double, so the round trip could hide a change.
        guard abs(product) < 9_007_199_254_740_992 else { return nil }
        let integer = Int64(product)
        return Double(integer) / scale(exponent) == value ? integer : nil
    }
}

/// Variable-length codes for signed integers, shortest for values near zero.
enum IntegerCode {
    /// Payload width in bits of each bucket, whose prefix is `index + 1` one bits. The last bucket
    /// takes any 64-bit value.
    private static let widths = [6, 13, 20, 32, 64]

    static func write(_ value: Int64, to writer: inout BitWriter) {
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        if zigzag == 0 {
            writer.writeBit(false)
            return
        }
        for (index, width) in widths.enumerated() {
            let isLast = index == widths.count - 1
            if isLast || zigzag < (UInt64(1) << UInt64(width)) {
                // index+1 ones, then a zero except after the last bucket's ones.
                writer.write((UInt64(1) << UInt64(index + 1)) - 1, bits: index + 1)
                if !isLast {
                    writer.writeBit(false)
                }
                writer.write(zigzag, bits: width)
                return
            }
        }
    }

    static func read(from reader: inout BitReader) throws(HistoryDecodingError) -> Int64 {
        var ones = 0
        while ones < widths.count, try reader.readBit() {
            ones += 1
        }
        guard ones > 0 else { return 0 }
        let zigzag = try reader.read(bits: widths[ones - 1])
        return Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
    }
}
