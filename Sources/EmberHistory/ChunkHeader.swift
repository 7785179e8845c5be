/// The index entry of one sealed chunk, stored in front of the chunk's bytes in a ring's arena.
///
/// Each field is an unsigned LEB128 varint: the chunk's byte count, its point count, its first time
/// (zigzag-coded, because a restored time can be negative) and its last time minus its first. A
/// typical header takes 6 to 10 bytes, where a separate index took 24 bytes per chunk and an array
/// of its own per ring. Only the ring reads what it wrote, so the header is not part of the state file.
struct ChunkHeader: Equatable {
    let byteCount: Int
    let count: Int
    let firstTime: Int64
    let lastTime: Int64

    init(byteCount: Int, count: Int, firstTime: Int64, lastTime: Int64) {
        precondition(byteCount >= 0 && count > 0 && firstTime <= lastTime, "invalid chunk header")
        self.byteCount = byteCount
        self.count = count
        self.firstTime = firstTime
        self.lastTime = lastTime
    }

    /// The last time as an unsigned distance from the first, which cannot overflow because it is
    /// never negative.
    private var span: UInt64 { UInt64(bitPattern: lastTime &- firstTime) }

    private var zigzagFirstTime: UInt64 {
        UInt64(bitPattern: (firstTime << 1) ^ (firstTime >> 63))
    }

    /// Size of the encoded header in bytes.
    var encodedSize: Int {
        Self.varintSize(UInt64(byteCount)) + Self.varintSize(UInt64(count)) + Self.varintSize(zigzagFirstTime)
            + Self.varintSize(span)
    }

    func append(to bytes: inout [UInt8]) {
        Self.appendVarint(UInt64(byteCount), to: &bytes)
        Self.appendVarint(UInt64(count), to: &bytes)
        Self.appendVarint(zigzagFirstTime, to: &bytes)
        Self.appendVarint(span, to: &bytes)
    }

    /// Reads the header at `offset` and returns it with the offset of the chunk's first byte.
    static func read(_ bytes: [UInt8], at offset: Int) -> (header: ChunkHeader, bodyStart: Int) {
        var position = offset
        let byteCount = readVarint(bytes, &position)
        let count = readVarint(bytes, &position)
        let zigzag = readVarint(bytes, &position)
        let span = readVarint(bytes, &position)

        let firstTime = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        let header = ChunkHeader(
            byteCount: Int(byteCount), count: Int(count), firstTime: firstTime,
            lastTime: firstTime &+ Int64(bitPattern: span))
        return (header, position)
    }

    private static func varintSize(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Reads a varint the ring wrote itself, so a malformed one is a bug and stops the process.
    private static func readVarint(_ bytes: [UInt8], _ position: inout Int) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            precondition(position < bytes.count && shift < 64, "chunk header runs past the ring's arena")
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            guard byte & 0x80 != 0 else { return value }
            shift += 7
        }
    }
}
