/// A sealed run of points, compressed.
///
/// Times are integers in the tier's unit (a sampling cycle, a minute, an hour), stored as
/// delta-of-delta, as in Facebook's Gorilla ("Gorilla: A Fast, Scalable, In-Memory Time Series
/// Database", Pelkonen et al., VLDB 2015). Each value is stored in one of two modes, chosen per chunk
/// and field:
/// - scaled: a decimal with at most six fractional digits or a multiple of 10^3, 10^6 or 10^9,
///   stored as an integer times 10^-exponent and written as its residual against a prediction.
///   Many kernel values are integers in milli-units.
/// - XOR: the float's bits XORed with the previous value's, as in Gorilla.
///
/// ``ChunkEncoder`` describes the bit layout.
public struct SealedChunk: Sendable {
    /// A slice, so a chunk taken from a ring's arena or read from a state file is not copied.
    public let bytes: ArraySlice<UInt8>
    public let count: Int
    public let firstTime: Int64
    public let lastTime: Int64
}

/// The storage mode of one field in a chunk.
enum FieldMode: Equatable {
    case xor
    /// Integers times 10^-exponent. A negative exponent stores multiples of a power of ten, such as
    /// frequencies in whole kHz or MHz given in Hz.
    case scaled(exponent: Int)

    /// The exponent in scaled mode, nil in XOR mode.
    var scaledExponent: Int? {
        guard case .scaled(let exponent) = self else { return nil }
        return exponent
    }

    static let minimumExponent = -9
    static let maximumExponent = 6

    /// Returns 10^exponent for an exponent of 0 to 9. A switch in place of an array, because the
    /// exponent search calls it up to ten times per value and a switch needs no array access.
    @inline(__always)
    private static func power(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        default: preconditionFailure("power of ten \(exponent) out of 0...9")
        }
    }

    /// Returns 10^exponent for an exponent of 0 to 9.
    static func scale(_ exponent: Int) -> Double { power(exponent) }

    /// Returns the value an integer stores at `exponent`.
    static func value(_ integer: Int64, exponent: Int) -> Double {
        exponent >= 0 ? Double(integer) / power(exponent) : Double(integer) * power(-exponent)
    }

    /// Returns the smallest decimal exponent that stores `value` exactly, or nil when none does.
    /// Zero gets 0, so a series that starts at zero does not start a new chunk at its first change.
    ///
    /// Exponents are tried in order: the negative ones only in steps of three, so that an integer such
    /// as 40 gets exponent 0 and the next value, 41, fits the same chunk. Kernel sources quantised to
    /// a power of ten use kilo, mega or giga steps (kHz in Hz, for example). Only an integer can be a
    /// multiple of a power of ten, so other values start at exponent 1.
    static func exponent(for value: Double) -> Int? {
        guard value.isFinite else { return nil }
        guard value != 0 || value.sign == .minus else { return 0 }
        guard value == value.rounded() else {
            return (1...maximumExponent).first { scaled(value, exponent: $0) != nil }
        }

        // Below 2^53 a negative exponent stores an integer only when its power of ten divides the
        // integer. Otherwise the stored multiple differs from it and is exact itself, or is at least
        // 2^53. Skipping those candidates cut the search from about 310 to about 190 instructions
        // per value (callgrind, node_exporter fixture).
        let integer = value.magnitude < 9_007_199_254_740_992 ? Int64(value) : nil
        var exponent = minimumExponent
        while exponent <= maximumExponent {
            let divides = exponent >= 0 || integer.map { $0 % Int64(power(-exponent)) == 0 } ?? true
            if divides, scaled(value, exponent: exponent) != nil { return exponent }
            exponent += exponent < 0 ? 3 : 1
        }
        return nil
    }

    /// Returns `value × 10^exponent` as an integer when ``value(_:exponent:)`` gives `value` back
    /// bit for bit, so -0 is never stored as 0.
    static func scaled(_ value: Double, exponent: Int) -> Int64? {
        let product = exponent >= 0 ? (value * power(exponent)).rounded() : (value / power(-exponent)).rounded()
        // Beyond 2^53 not every integer is a Double, so the round trip could hide a change.
        guard abs(product) < 9_007_199_254_740_992 else { return nil }
        let integer = Int64(product)
        return FieldMode.value(integer, exponent: exponent).bitPattern == value.bitPattern ? integer : nil
    }
}

/// Variable-length codes for signed integers, shortest for values near zero.
enum IntegerCode {
    /// Number of buckets. Bucket `index` takes a prefix of `index + 1` one bits.
    private static let bucketCount = 5

    /// Returns the payload width in bits of bucket `index`. The last bucket takes any 64-bit value.
    /// A switch in place of an array: the loop over an array of widths took about 350 instructions
    /// per value, its writes included, where this takes about 220 (callgrind).
    private static func width(ofBucket index: Int) -> Int {
        switch index {
        case 0: 6
        case 1: 13
        case 2: 20
        case 3: 32
        default: 64
        }
    }

    static func write(_ value: Int64, to writer: inout BitWriter) {
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        if zigzag == 0 {
            writer.writeBit(false)
            return
        }
        var index = 0
        while index < bucketCount - 1, zigzag >= UInt64(1) << UInt64(width(ofBucket: index)) {
            index += 1
        }
        let isLast = index == bucketCount - 1
        // index+1 ones, then a zero except after the last bucket's ones, written as one field.
        let ones = (UInt64(1) << UInt64(index + 1)) - 1
        writer.write(isLast ? ones : ones << 1, bits: isLast ? index + 1 : index + 2)
        writer.write(zigzag, bits: width(ofBucket: index))
    }

    static func read(from reader: inout BitReader) throws(HistoryDecodingError) -> Int64 {
        var ones = 0
        while ones < bucketCount, try reader.readBit() {
            ones += 1
        }
        guard ones > 0 else { return 0 }
        let zigzag = try reader.read(bits: width(ofBucket: ones - 1))
        return Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
    }
}

/// The relation between the fields of a chunk.
public enum ChunkLayout: Sendable {
    /// Each field is coded against its own previous value.
    case independent
    /// Field 0 is a counter's increase in a bucket and field 1 its last value. Field 1 is coded
    /// against `previous last + increase`, which is exact unless the counter reset, so the last
    /// value costs at most one bit per bucket instead of repeating the increase.
    case counter
    /// A gauge bucket: minimum, maximum, sum, last and count. Count and last are coded against their
    /// previous values, the minimum and maximum against the last value and the previous bucket's
    /// distances from it, and the sum against `count × (minimum + maximum) / 2`. A flat bucket
    /// after a flat bucket so costs the change of its last value only.
    case gauge

    /// Fields that share one exponent in a chunk when all of them are scaled: the first ones, up to
    /// this count. A count rather than an array, because every chunk start reads it.
    var sharedExponentFieldCount: Int {
        switch self {
        case .independent: 0
        case .counter: 2
        case .gauge: 4
        }
    }

    /// Returns the field coded at position `step` of a point, so that a prediction uses only fields
    /// coded before it: the gauge layout codes fields 4, 3, 0, 1, 2, the others in index order.
    @inline(__always)
    func field(codedAt step: Int) -> Int {
        guard self == .gauge else { return step }
        return step < 2 ? 4 - step : step - 2
    }

    /// Returns whether fields are predicted from each other in a chunk with these field modes. The
    /// fields involved must be integers at one scale: in the counter layout fields 0 and 1, in the
    /// gauge layout fields 0 to 3, with the count (field 4) at exponent 0.
    func predictsAcrossFields(modes: [FieldMode]) -> Bool {
        predictsAcrossFields(count: modes.count) { modes[$0] }
    }

    /// Returns whether fields are predicted from each other in a chunk of `count` fields whose modes
    /// `mode` returns by index, without an array of the modes.
    func predictsAcrossFields(count: Int, mode: (Int) -> FieldMode) -> Bool {
        switch self {
        case .independent:
            return false
        case .counter:
            guard count >= 2, case .scaled = mode(0) else { return false }
            return mode(0) == mode(1)
        case .gauge:
            guard count == 5, case .scaled = mode(0) else { return false }
            let first = mode(0)
            return mode(1) == first && mode(2) == first && mode(3) == first && mode(4) == .scaled(exponent: 0)
        }
    }

    /// Returns whether field 1 is predicted from field 0 in a version 1 chunk with these field
    /// modes, which was only the case in the counter layout.
    func predictsField1(modes: [FieldMode]) -> Bool {
        self == .counter && predictsAcrossFields(modes: modes)
    }

    /// Returns the prediction of field `index` from the previous point's integers and the integers
    /// of this point coded before it (see ``field(codedAt:)``). Arithmetic wraps, as in the decoder, so
    /// any input gives a defined result.
    func prediction(of index: Int, previous: FieldWords, current: FieldWords, acrossFields: Bool) -> Int64 {
        let old = { (field: Int) in Int64(bitPattern: previous[field]) }
        let new = { (field: Int) in Int64(bitPattern: current[field]) }
        guard acrossFields else { return old(index) }

        switch (self, index) {
        case (.counter, 1): return old(1) &+ new(0)
        case (.gauge, 0): return new(3) &- (old(3) &- old(0))
        case (.gauge, 1): return new(3) &+ (old(1) &- old(3))
        case (.gauge, 2): return (new(4) &* (new(0) &+ new(1))) >> 1
        default: return old(index)
        }
    }
}
