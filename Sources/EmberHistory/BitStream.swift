/// Appends bit fields, most significant bit first, to a growing byte array.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    /// Bits used in the last byte, 0 when it is full or there is none.
    private var usedInLastByte = 0 as UInt8

    init() {}

    var bitCount: Int {
        usedInLastByte == 0 ? bytes.count * 8 : (bytes.count - 1) * 8 + Int(usedInLastByte)
    }

    mutating func writeBit(_ bit: Bool) {
        write(bit ? 1 : 0, bits: 1)
    }

    /// Appends the low `bits` bits of `value` (0...64).
    mutating func write(_ value: UInt64, bits: Int) {
        var remaining = bits
        while remaining > 0 {
            if usedInLastByte == 0 {
                bytes.append(0)
            }
            let free = 8 - Int(usedInLastByte)
            let take = min(free, remaining)
            let shift = remaining - take
            let chunk = UInt8(truncatingIfNeeded: (value >> UInt64(shift)) & ((1 << UInt64(take)) - 1))
            bytes[bytes.count - 1] |= chunk << UInt8(free - take)
            usedInLastByte = UInt8((Int(usedInLastByte) + take) & 7)
            remaining -= take
        }
    }
}

/// Reads bit fields written by ``BitWriter``.
struct BitReader {
    /// A slice, so that a chunk can be read in place from its ring's byte arena.
    private let bytes: ArraySlice<UInt8>
    private let endBit: Int
    private(set) var position = 0

    init(_ bytes: ArraySlice<UInt8>, bitCount: Int? = nil) {
        self.bytes = bytes
        endBit = bitCount ?? bytes.count * 8
    }

    init(_ bytes: [UInt8], bitCount: Int? = nil) {
        self.init(bytes[...], bitCount: bitCount)
    }

    var remainingBits: Int { endBit - position }

    mutating func readBit() throws(HistoryDecodingError) -> Bool {
        try read(bits: 1) == 1
    }

    /// Reads `bits` bits (0...64) as an unsigned integer.
    mutating func read(bits: Int) throws(HistoryDecodingError) -> UInt64 {
        guard bits <= remainingBits else { throw .truncated }
        var value: UInt64 = 0
        var remaining = bits
        while remaining > 0 {
            let offset = position & 7
            let take = min(8 - offset, remaining)
            let byte = UInt64(bytes[bytes.startIndex + (position >> 3)])
            let chunk = (byte >> UInt64(8 - offset - take)) & ((1 << UInt64(take)) - 1)
            value = (value << UInt64(take)) | chunk
            position += take
            remaining -= take
        }
        return value
    }
}

/// The reason stored history bytes could not be decoded.
public enum HistoryDecodingError: Error, Equatable, CustomStringConvertible {
    case truncated
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated: "data ends early"
        case .invalid(let reason): reason
        }
    }
}
