#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// Writes bytes to a file from a given offset through a buffer of ``bufferSize`` bytes, and keeps
/// their count and CRC-32, so a state file is saved without holding it in memory.
///
/// Encoding a whole state file in memory took up to 10 MiB for a moment with full history on the
/// RK3588 fixture: the files, their growth by doubling and a copy behind the header
/// (BENCHMARKS.md). The first failed write is kept, later bytes are dropped, and ``finish()``
/// throws it, because the encoder's many small appends cannot each throw.
struct FileByteSink: ByteSink {
    /// Bytes collected before each write.
    static let bufferSize = 64 * 1024

    private let descriptor: Int32
    private let path: String
    private var offset: Int
    private var buffer: [UInt8] = []
    private var count: UInt64 = 0
    private var crc = CRC32.start
    private var failure: FileError?

    init(descriptor: Int32, path: String, offset: Int) {
        self.descriptor = descriptor
        self.path = path
        self.offset = offset
        buffer.reserveCapacity(FileByteSink.bufferSize)
    }

    mutating func append(_ byte: UInt8) {
        buffer.append(byte)
        if buffer.count >= FileByteSink.bufferSize {
            flush()
        }
    }

    mutating func append<Bytes: Collection<UInt8>>(contentsOf bytes: Bytes) {
        if buffer.count + bytes.count > FileByteSink.bufferSize {
            flush()
        }
        if bytes.count > FileByteSink.bufferSize {
            // Larger than the buffer: written through a copy of its own rather than growing the buffer.
            buffer = Array(bytes)
            flush()
            buffer = []
            buffer.reserveCapacity(FileByteSink.bufferSize)
            return
        }
        buffer.append(contentsOf: bytes)
    }

    /// Writes what is buffered and returns the number of bytes written in all and their CRC-32.
    mutating func finish() throws(FileError) -> (count: UInt64, checksum: UInt32) {
        flush()
        if let failure {
            throw failure
        }
        return (count, CRC32.finish(crc))
    }

    private mutating func flush() {
        guard failure == nil, !buffer.isEmpty else {
            buffer.removeAll(keepingCapacity: true)
            return
        }
        do throws(FileError) {
            try FileByteSink.write(buffer, to: descriptor, at: offset, path: path)
            crc = CRC32.update(crc, with: buffer)
            count += UInt64(buffer.count)
            offset += buffer.count
        } catch {
            failure = error
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes all of `bytes` at `offset`, retrying short writes and EINTR.
    static func write(_ bytes: [UInt8], to descriptor: Int32, at offset: Int, path: String) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError(operation: "write", path: path, code: errno)
            }
            done += written
        }
    }
}
