#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The outcome of one non-blocking receive or send on a connection.
enum TransportResult: Equatable {
    case transferred(Int)
    /// Nothing can move until poll reports the socket ready again.
    case wouldBlock
    /// The peer closed its side (for TLS, after close_notify or a bare EOF).
    case endOfInput
    case failed(String)
}

/// The byte stream under an HTTP connection: the socket itself (``PlainTransport``) or a TLS session
/// over it (``TLSTransport``). The HTTP layer above it is the same for both.
protocol ConnectionTransport: AnyObject {
    var descriptor: Int32 { get }
    /// Whether a TLS handshake is still in progress; the read timeout limits it like a request.
    var isHandshaking: Bool { get }
    /// Poll events a pending receive needs; TLS may need POLLOUT to finish a handshake.
    var receiveBlockedOn: Int16 { get }
    /// Poll events a pending send needs; TLS may need POLLIN before it can write.
    var sendBlockedOn: Int16 { get }
    /// Whether received bytes wait inside the transport, where poll cannot see them (decrypted TLS data).
    var hasBufferedInput: Bool { get }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult
    /// Sends bytes. With `more` set, another chunk follows at once, so the kernel may hold a partial segment.
    func send(_ bytes: UnsafeRawBufferPointer, more: Bool) -> TransportResult
    /// Ends the output side after the last response, so the peer reads it before its end of input.
    func shutdownOutput()
    func close()
}

/// A plain TCP connection.
final class PlainTransport: ConnectionTransport {
    let descriptor: Int32
    var isHandshaking: Bool { false }
    var receiveBlockedOn: Int16 { 0 }
    var sendBlockedOn: Int16 { 0 }
    var hasBufferedInput: Bool { false }

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .transferred(count) }
            if count == 0 { return .endOfInput }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed("receive failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// MSG_NOSIGNAL turns a write to a closed peer into EPIPE instead of SIGPIPE.
    func send(_ bytes: UnsafeRawBufferPointer, more: Bool) -> TransportResult {
        let flags = Int32(MSG_NOSIGNAL) | (more ? Int32(MSG_MORE) : 0)
        while true {
            let sent = Glibc.send(descriptor, bytes.baseAddress, bytes.count, flags)
            if sent >= 0 { return .transferred(sent) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed("send failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    func shutdownOutput() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    func close() {
        Glibc.close(descriptor)
    }
}
