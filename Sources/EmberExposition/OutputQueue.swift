#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Bytes waiting to be sent on a non-blocking socket, kept as the chunks they were queued in so that a
/// cached response body is sent from its shared storage without copying.
struct OutputQueue {
    enum WriteOutcome: Equatable {
        case drained
        case wouldBlock
        case failed(errno: Int32)
    }

    private var chunks: [[UInt8]] = []
    /// Bytes of `chunks[0]` already sent.
    private var offset = 0
    private(set) var pendingBytes = 0

    var isEmpty: Bool { pendingBytes == 0 }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        chunks.append(bytes)
        pendingBytes += bytes.count
    }

    /// Sends as much as the socket takes. Every chunk but the last goes with MSG_MORE, so the kernel joins a
    /// response head and its body into full segments. MSG_NOSIGNAL turns a write to a closed peer into
    /// EPIPE instead of SIGPIPE.
    mutating func write(to descriptor: Int32) -> WriteOutcome {
        while let chunk = chunks.first {
            let flags = Int32(MSG_NOSIGNAL) | (chunks.count > 1 ? Int32(MSG_MORE) : 0)
            let sent = chunk.withUnsafeBytes { bytes in
                send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, flags)
            }

            if sent < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return .wouldBlock
                default: return .failed(errno: errno)
                }
            }

            offset += sent
            pendingBytes -= sent
            if offset == chunk.count {
                chunks.removeFirst()
                offset = 0
            }
        }
        return .drained
    }

    mutating func removeAll() {
        chunks.removeAll()
        offset = 0
        pendingBytes = 0
    }
}
