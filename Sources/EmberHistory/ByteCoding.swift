/// A destination for the state file's bytes: an array in memory (``ByteWriter``) or a file
/// written through a fixed buffer (``FileByteSink``).
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append<Bytes: Collection<UInt8>>(contentsOf bytes: Bytes)
}

/// Little-endian integers and length-prefixed strings and blobs, the state file's encoding.
extension ByteSink {
    mutating func u8(_ value: UInt8) {
        append(value)
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    mutating func string(_ value: String) {
        blob(value.utf8)
    }

    mutating func blob<Bytes: Collection<UInt8>>(_ value: Bytes) {
        u32(UInt32(value.count))
        append(contentsOf: value)
    }
}

/// Collects the state file's bytes in memory.
struct ByteWriter: ByteSink {
    var bytes: [UInt8] = []

    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func append<Bytes: Collection<UInt8>>(contentsOf bytes: Bytes) {
        self.bytes.append(contentsOf: bytes)
    }
}

/// Reads what ``ByteWriter`` wrote, throwing ``HistoryDecodingError/truncated`` past the end.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func u8() throws(HistoryDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        offset += 1
        return bytes[offset - 1]
    }

    mutating func u32() throws(HistoryDecodingError) -> UInt32 {
        UInt32(truncatingIfNeeded: try little(4))
    }

    mutating func u64() throws(HistoryDecodingError) -> UInt64 {
        try little(8)
    }

    mutating func string() throws(HistoryDecodingError) -> String {
        let raw = try blob()
        guard let text = String(validating: raw, as: UTF8.self) else { throw .invalid("string is not UTF-8") }
        return text
    }

    mutating func blob() throws(HistoryDecodingError) -> [UInt8] {
        Array(try blobSlice())
    }

    /// Reads a blob as a slice of the bytes being read, which it keeps alive, without copying it.
    mutating func blobSlice() throws(HistoryDecodingError) -> ArraySlice<UInt8> {
        let count = Int(try u32())
        guard count <= bytes.count - offset else { throw .truncated }
        offset += count
        return bytes[(offset - count)..<offset]
    }

    private mutating func little(_ width: Int) throws(HistoryDecodingError) -> UInt64 {
        guard width <= bytes.count - offset else { throw .truncated }
        var value: UInt64 = 0
        for index in (0..<width).reversed() {
            value = (value << 8) | UInt64(bytes[offset + index])
        }
        offset += width
        return value
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum zlib's `crc32` computes.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
        }
        return crc
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        finish(update(start, with: bytes))
    }

    /// The running value before the first byte.
    static let start: UInt32 = 0xFFFF_FFFF

    /// Returns the running value `crc` after `bytes`, so a checksum can be computed piece by piece.
    static func update(_ crc: UInt32, with bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = crc
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc
    }

    /// Returns the checksum of the bytes that gave the running value `crc`.
    static func finish(_ crc: UInt32) -> UInt32 {
        crc ^ 0xFFFF_FFFF
    }
}
