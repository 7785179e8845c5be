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

    static let minimumExponent = -9
    static let maximumExponent = 6
    private static let powers: [Double] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 1e7, 1e8, 1e9]

    /// Returns 10^exponent for an exponent of 0 to 9.
    static func scale(_ exponent: Int) -> Double { powers[exponent] }

    /// Returns the value an integer stores at `exponent`.
    static func value(_ integer: Int64, exponent: Int) -> Double {
        exponent >= 0 ? Double(integer) / powers[exponent] : Double(integer) * powers[-exponent]
    }

    /// Exponents tried in order: the negative ones only in steps of three, so that an integer such as
    /// 40 gets exponent 0 and the next value, 41, fits the same chunk. Kernel sources quantised to
    /// a power of ten use kilo, mega or giga steps (kHz in Hz, for example).
    private static let candidateExponents = [-9, -6, -3] + Array(0...maximumExponent)

    /// Returns the smallest decimal exponent that stores `value` exactly, or nil when none does.
    /// Zero gets 0, so a series that starts at zero does not start a new chunk at its first change.
    static func exponent(for value: Double) -> Int? {
        guard value.isFinite else { return nil }
        guard value != 0 || value.sign == .minus else { return 0 }
        // Only an integer can be a multiple of a power of ten.
        let candidates = value == value.rounded() ? candidateExponents[...] : candidateExponents.dropFirst(4)
        return candidates.first { scaled(value, exponent: $0) != nil }
    }

    /// Returns `value × 10^exponent` as an integer when ``value(_:exponent:)`` gives `value` back
    /// bit for bit, so -0 is never stored as 0.
    static func scaled(_ value: Double, exponent: Int) -> Int64? {
        let product = exponent >= 0 ? (value * powers[exponent]).rounded() : (value / powers[-exponent]).rounded()
        // Beyond 2^53 not every integer is a Double, so the round trip could hide a change.
        guard abs(product) < 9_007_199_254_740_992 else { return nil }
        let integer = Int64(product)
        return FieldMode.value(integer, exponent: exponent).bitPattern == value.bitPattern ? integer : nil
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

    /// Fields that share one exponent in a chunk when all of them are scaled.
    var sharedExponentFields: [Int] {
        switch self {
        case .independent: []
        case .counter: [0, 1]
        case .gauge: [0, 1, 2, 3]
        }
    }

    /// The order in which the fields of a point are coded, so that a prediction uses only fields
    /// coded before it.
    var codingOrder: [Int] {
        self == .gauge ? [4, 3, 0, 1, 2] : [0, 1, 2, 3, 4]
    }

    /// Returns whether fields are predicted from each other in a chunk with these field modes. The
    /// fields involved must be integers at one scale: in the counter layout fields 0 and 1, in the
    /// gauge layout fields 0 to 3, with the count (field 4) at exponent 0.
    func predictsAcrossFields(modes: [FieldMode]) -> Bool {
        switch self {
        case .independent:
            return false
        case .counter:
            guard modes.count >= 2, case .scaled = modes[0] else { return false }
            return modes[0] == modes[1]
        case .gauge:
            guard modes.count == 5, case .scaled = modes[0] else { return false }
            return modes[1...3].allSatisfy { $0 == modes[0] } && modes[4] == .scaled(exponent: 0)
        }
    }

    /// Returns whether field 1 is predicted from field 0 in a version 1 chunk with these field
    /// modes, which was only the case in the counter layout.
    func predictsField1(modes: [FieldMode]) -> Bool {
        self == .counter && predictsAcrossFields(modes: modes)
    }

    /// Returns the prediction of field `index` from the previous point's integers and the integers
    /// of this point coded before it (see ``codingOrder``). Arithmetic wraps, as in the decoder, so
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
