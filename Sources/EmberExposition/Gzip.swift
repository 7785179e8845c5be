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

    /// Compresses `input` into one gzip member with a compressor allocated for this call only.
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) throws(GzipError) -> [UInt8] {
        let compressor = try allocate(level: level)
        defer { libdeflate_free_compressor(compressor) }

        return try compress(input, with: compressor)
    }

    static func allocate(level: Int32) throws(GzipError) -> OpaquePointer {
        guard let compressor = libdeflate_alloc_compressor(level) else {
            throw GzipError(call: "libdeflate_alloc_compressor", reason: "level \(level) is invalid or memory ran out")
        }
        return compressor
    }

    /// Compresses `input` with `compressor` into an array of the output's size.
    ///
    /// The first attempt writes into a buffer of a quarter of the input's size, because exposition
    /// text compresses to about a seventh at level 1. The worst-case bound, a little over the input's
    /// size, was a 64 KiB buffer at every scrape of node_exporter's test tree. malloc grew its heap
    /// for it and trimmed it again each time (`mprotect` in strace), so its 16 pages faulted anew.
    /// An input that does not fit is compressed again into a buffer of the bound.
    static func compress(_ input: [UInt8], with compressor: OpaquePointer) throws(GzipError) -> [UInt8] {
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        if let output = compress(input, with: compressor, capacity: min(bound, input.count / 4 + 64)) {
            return output
        }
        // The bound is the worst case for any input, so a failure here is a broken library.
        guard let output = compress(input, with: compressor, capacity: bound) else {
            throw GzipError(call: "libdeflate_gzip_compress", reason: "the output did not fit in \(bound) bytes")
        }
        return output
    }

    /// Returns the compressed bytes, or nil when they need more than `capacity` bytes.
    private static func compress(_ input: [UInt8], with compressor: OpaquePointer, capacity: Int) -> [UInt8]? {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer { scratch.deallocate() }
        let written = input.withUnsafeBytes { source in
            libdeflate_gzip_compress(compressor, source.baseAddress, source.count, scratch.baseAddress, capacity)
        }
        guard written > 0 else { return nil }
        // The cache keeps the result for a whole sample interval, so it gets an array of its own size.
        return Array(UnsafeRawBufferPointer(rebasing: scratch[..<written]))
    }
}
