import CIsal

/// A gzip compression that failed, with the igzip call that failed.
public struct GzipError: Error, CustomStringConvertible {
    public let call: String
    public let reason: String

    public var description: String {
        "\(call) failed: \(reason)"
    }
}

/// gzip compression (RFC 1952) with ISA-L's igzip, for `Content-Encoding: gzip` responses.
///
/// igzip compresses a whole buffer in one call (`isal_deflate_stateless`), which is the
/// exposition's case, and has hand-written x86_64 and aarch64 code for its hot loops. Its level 0
/// compressed node_exporter's 63 KB test exposition in 70 µs right after a thread woke, as at a
/// scrape. libdeflate's level 1 took 170 µs and wrote 9.2 KB where igzip wrote 11.0 KB (libisal
/// 2.30, libdeflate 1.14, x86_64; BENCHMARKS.md).
public enum Gzip {
    /// igzip's fastest level, which the exposition cache uses.
    public static let fastestLevel: Int32 = 0
    /// igzip's highest level.
    public static let bestLevel: Int32 = 3

    /// Compresses `input` into one gzip member with a stream allocated for this call only.
    public static func compress(_ input: [UInt8], level: Int32 = fastestLevel) throws(GzipError) -> [UInt8] {
        let stream = try IgzipStream(level: level)
        defer { stream.deallocate() }

        return try compress(input, with: stream)
    }

    /// Returns the worst-case size of the member: the input in stored blocks of at most 65 535 bytes with
    /// a 5-byte header each, the 10-byte gzip header and the 8-byte trailer. igzip writes stored
    /// blocks when the compressed ones would not fit a buffer this large.
    static func bound(_ count: Int) -> Int {
        count + 5 * (count / 65_535 + 1) + 18
    }

    /// Compresses `input` with `stream` into an array of the output's size.
    ///
    /// The first attempt writes into a buffer of a quarter of the input's size, because exposition
    /// text compresses to about a sixth at level 0. A buffer of the worst-case bound, a little over
    /// the input's size, was 64 KiB at every scrape of node_exporter's test tree. malloc grew its
    /// heap for it and trimmed it again each time (`mprotect` in strace), so its 16 pages faulted
    /// anew. An input that does not fit is compressed again into a buffer of the bound.
    static func compress(_ input: [UInt8], with stream: IgzipStream) throws(GzipError) -> [UInt8] {
        guard input.count <= Int(UInt32.max) - 1024 else {
            throw GzipError(call: "isal_deflate_stateless", reason: "the input of \(input.count) bytes exceeds the 4 GiB limit")
        }
        let bound = bound(input.count)
        if let output = try compress(input, with: stream, capacity: min(bound, input.count / 4 + 64)) {
            return output
        }
        guard let output = try compress(input, with: stream, capacity: bound) else {
            throw GzipError(call: "isal_deflate_stateless", reason: "the output did not fit in \(bound) bytes")
        }
        return output
    }

    /// Returns the compressed bytes, or nil when they need more than `capacity` bytes.
    private static func compress(
        _ input: [UInt8], with stream: IgzipStream, capacity: Int
    ) throws(GzipError) -> [UInt8]? {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer { scratch.deallocate() }
        var written: UInt32 = 0
        let status = input.withUnsafeBytes { source in
            ember_igzip_gzip(
                stream.state, stream.level, stream.levelBuffer?.baseAddress, UInt32(stream.levelBuffer?.count ?? 0),
                source.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(source.count),
                scratch.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(capacity), &written)
        }
        if status == STATELESS_OVERFLOW {
            return nil
        }
        guard status == COMP_OK else {
            throw GzipError(call: "isal_deflate_stateless", reason: "status \(status)")
        }
        // The cache keeps the result for a whole sample interval, so it gets an array of its own size.
        return Array(UnsafeRawBufferPointer(rebasing: scratch[..<Int(written)]))
    }
}

/// igzip's compression state, 80 KiB with its level 0 hash table, and the level buffer that
/// levels 1 to 3 need besides. Freed with ``deallocate()``.
struct IgzipStream {
    let level: Int32
    let state: UnsafeMutablePointer<isal_zstream>
    let levelBuffer: UnsafeMutableBufferPointer<UInt8>?

    /// Allocates a stream for `level`. Throws for a level igzip does not have.
    init(level: Int32) throws(GzipError) {
        guard (Gzip.fastestLevel...Gzip.bestLevel).contains(level) else {
            throw GzipError(call: "igzip", reason: "level \(level) is invalid: levels are 0 to 3")
        }
        self.level = level
        // The library initialises the state at every compression.
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<isal_zstream>.size, alignment: max(64, MemoryLayout<isal_zstream>.alignment))
        state = raw.bindMemory(to: isal_zstream.self, capacity: 1)
        let size = Int(ember_igzip_level_buffer_size(level))
        levelBuffer = size == 0 ? nil : .allocate(capacity: size)
    }

    func deallocate() {
        state.deallocate()
        levelBuffer?.deallocate()
    }
}
