/// Appends bit fields, most significant bit first, to a growing byte array.
///
/// The array can start with a fixed prefix of bytes that are not part of the bit stream, so that the
/// chunk encoder keeps its field states in the same allocation as its bits.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    /// Bits used in the last byte, 0 when it is full or there is none.
    private var usedInLastByte = 0 as UInt8
    /// Bytes at the start of `bytes` before the bit stream, at most 255.
    private let prefixCount: UInt8

    /// Creates a writer whose bytes start with `prefixCount` zero bytes for the caller's own use, with
    /// room for `streamCapacity` bytes of bits before it grows.
    init(prefixCount: Int = 0, streamCapacity: Int = 16) {
        precondition(prefixCount >= 0 && prefixCount <= Int(UInt8.max), "prefix of \(prefixCount) bytes")
        self.prefixCount = UInt8(prefixCount)
        // One allocation with the prefix zeroed in place: reserving and then appending the zeros took
        // about 1 400 instructions per chunk start (callgrind).
        bytes = [UInt8](unsafeUninitializedCapacity: prefixCount + streamCapacity) { buffer, count in
            buffer.baseAddress?.initialize(repeating: 0, count: prefixCount)
            count = prefixCount
        }
    }

    var bitCount: Int {
        let streamBytes = bytes.count - Int(prefixCount)
        return usedInLastByte == 0 ? streamBytes * 8 : (streamBytes - 1) * 8 + Int(usedInLastByte)
    }

    /// The bit stream's bytes, without the prefix.
    var stream: ArraySlice<UInt8> { bytes[Int(prefixCount)...] }

    /// Returns the value of type `T` stored at `offset` in the prefix. Inlined for the same reason as
    /// ``PointValues/subscript(_:)``: every appended point loads a field state.
    @inline(__always)
    func loadPrefix<T: BitwiseCopyable>(as type: T.Type, at offset: Int) -> T {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= Int(prefixCount), "prefix offset \(offset)")
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: type) }
    }

    /// Stores `value` at `offset` in the prefix.
    mutating func storePrefix<T: BitwiseCopyable>(_ value: T, at offset: Int) {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= Int(prefixCount), "prefix offset \(offset)")
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: T.self) }
    }

    /// Inlined, because most residuals are a single `0`, which in a started byte only moves the
    /// bit count: its free bits are zero already.
    @inline(__always)
    mutating func writeBit(_ bit: Bool) {
        guard bit || usedInLastByte == 0 else {
            usedInLastByte = (usedInLastByte + 1) & 7
            return
        }
        write(bit ? 1 : 0, bits: 1)
    }

    /// Makes room for `count` more bytes, doubling the room for the bit stream when it is too small.
    /// Array's own growth would double the prefix with it, which for a gauge's 120 bytes of field
    /// states wastes more than most chunks hold. Each step doubles from the capacity before it, so
    /// the capacities are those of growing one byte at a time.
    private mutating func reserve(_ count: Int) {
        repeat {
            let streamCapacity = bytes.capacity - Int(prefixCount)
            bytes.reserveCapacity(Int(prefixCount) + max(16, streamCapacity * 2))
        } while bytes.count + count > bytes.capacity
    }

    /// Appends the low `bits` bits of `value` (0...64).
    ///
    /// The bits are moved to the top of a word. The first of them fill the free bits of the last
    /// byte, and the rest are appended as whole bytes. The loop of a bit field per byte that this
    /// replaces took about 140 instructions per call (callgrind).
    mutating func write(_ value: UInt64, bits: Int) {
        guard bits > 0 else { return }
        var word = value << UInt64(64 - bits)
        var remaining = bits

        let used = Int(usedInLastByte)
        if used > 0 {
            let free = 8 - used
            // Zero bits need no store, because the free bits of the last byte are zero.
            let head = UInt8(truncatingIfNeeded: word >> UInt64(56 + used))
            if head != 0 {
                bytes[bytes.count - 1] |= head
            }
            guard remaining > free else {
                usedInLastByte = UInt8((used + remaining) & 7)
                return
            }
            word <<= UInt64(free)
            remaining -= free
        }

        let appended = (remaining + 7) / 8
        if bytes.count + appended > bytes.capacity {
            reserve(appended)
        }
        usedInLastByte = UInt8(remaining & 7)
        // NOTE: Array.append(contentsOf:) of the word's bytes cost more than this loop: about 260
        // instructions per call in the -Osize build (callgrind).
        while remaining > 0 {
            bytes.append(UInt8(truncatingIfNeeded: word >> 56))
            word <<= 8
            remaining -= 8
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
