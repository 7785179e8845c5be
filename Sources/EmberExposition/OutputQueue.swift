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
        case failed(String)
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

    /// Sends as much as the transport takes. Every chunk but the last goes with `more`, so the kernel joins a
    /// response head and its body into full segments.
    mutating func write(to transport: any ConnectionTransport) -> WriteOutcome {
        while let chunk = chunks.first {
            let result = chunk.withUnsafeBytes { bytes in
                transport.send(UnsafeRawBufferPointer(rebasing: bytes[offset...]), more: chunks.count > 1)
            }

            switch result {
            case .transferred(let sent):
                offset += sent
                pendingBytes -= sent
            case .wouldBlock:
                return .wouldBlock
            case .endOfInput:
                return .failed("the peer closed the connection")
            case .failed(let message):
                return .failed(message)
            }

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
