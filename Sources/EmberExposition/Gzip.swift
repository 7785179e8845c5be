import CZlib

/// A zlib call that failed, with zlib's return code (`Z_MEM_ERROR`, `Z_STREAM_ERROR`, ...).
public struct GzipError: Error, CustomStringConvertible {
    public let call: String
    public let code: Int32

    public var description: String {
        "zlib \(call) failed with code \(code)"
    }
}

/// gzip compression (RFC 1952) with zlib, for `Content-Encoding: gzip` responses.
public enum Gzip {
    /// zlib's window size exponent plus 16, which makes deflate write a gzip header and trailer instead of
    /// a zlib wrapper. An 8 KiB window, with the memory level below, makes deflate allocate 64 KiB
    /// where zlib's defaults allocate 256 KiB. The exposition repeats itself within a few lines, so
    /// the RK3588 fixture's 124 KB compressed to 14 540 bytes instead of 13 956 (BENCHMARKS.md).
    private static let gzipWindowBits: Int32 = 13 + 16
    /// zlib's memory level, which sets the size of deflate's hash table (2^(level + 7) entries).
    private static let memoryLevel: Int32 = 6

    /// Compresses `input` into one gzip member in a single deflate call.
    ///
    /// The output is sized with `deflateBound`, the worst case for incompressible input, so one call with
    /// `Z_FINISH` always completes. Input over 4 GiB, which zlib cannot take in one call, fails with
    /// `Z_BUF_ERROR`.
    public static func compress(_ input: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) throws -> [UInt8] {
        guard input.count <= Int(uInt.max) else { throw GzipError(call: "deflate", code: Z_BUF_ERROR) }

        var stream = z_stream()
        let initResult = deflateInit2_(&stream, level, Z_DEFLATED, gzipWindowBits, memoryLevel, Z_DEFAULT_STRATEGY,
                                       zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initResult == Z_OK else { throw GzipError(call: "deflateInit2", code: initResult) }
        defer { deflateEnd(&stream) }

        let capacity = Int(deflateBound(&stream, uLong(input.count)))
        let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        defer { scratch.deallocate() }
        let deflateResult = deflateAll(&stream, input: input, output: scratch)
        guard deflateResult == Z_STREAM_END else { throw GzipError(call: "deflate", code: deflateResult) }
        // The cache keeps the result for a whole sample interval, so it gets an array of its own size:
        // about 15 KB, where the worst-case scratch buffer is as large as the input.
        return Array(scratch[..<(capacity - Int(stream.avail_out))])
    }

    private static func deflateAll(
        _ stream: inout z_stream, input: [UInt8], output: UnsafeMutableBufferPointer<UInt8>
    ) -> Int32 {
        input.withUnsafeBufferPointer { source in
            // zlib's next_in is not const-qualified, but deflate only reads through it.
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            stream.next_out = output.baseAddress
            stream.avail_out = uInt(output.count)
            return deflate(&stream, Z_FINISH)
        }
    }
}
