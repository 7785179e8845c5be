#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL

/// A server-side TLS session over a non-blocking socket. The handshake runs inside the first receives
/// and sends; OpenSSL's WANT_READ and WANT_WRITE become ``TransportResult/wouldBlock`` plus the poll
/// event to wait for.
///
/// Only the event loop thread uses a transport, and OpenSSL's error queue is per thread, so each call
/// clears it and errno first and reads its own errors.
final class TLSTransport: ConnectionTransport {
    /// Sent in plain text to a client that speaks HTTP to the TLS port, as Go's net/http does, so curl
    /// and browsers show the cause instead of a reset.
    static let plainHTTPResponse: [UInt8] = {
        let body = "Client sent an HTTP request to an HTTPS server.\n"
        let head = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        return Array((head + body).utf8)
    }()

    let descriptor: Int32
    private let session: OpaquePointer
    /// `client_allowed_sans`; empty accepts any client certificate the context accepts.
    private let allowedNames: [String]
    /// Called with the reason when the handshake fails, for the rate-limited warning.
    private let reportHandshakeFailure: (String) -> Void
    private var handshakeDone = false
    private var sentCloseNotify = false
    private(set) var receiveBlockedOn: Int16 = 0
    private(set) var sendBlockedOn: Int16 = 0

    init?(descriptor: Int32, context: OpaquePointer, allowedNames: [String] = [],
          reportHandshakeFailure: @escaping (String) -> Void = { _ in }) {
        guard let session = openSSL.SSL_new(context) else { return nil }
        guard openSSL.SSL_set_fd(session, descriptor) == 1 else {
            openSSL.SSL_free(session)
            return nil
        }
        openSSL.SSL_set_accept_state(session)
        self.descriptor = descriptor
        self.session = session
        self.allowedNames = allowedNames
        self.reportHandshakeFailure = reportHandshakeFailure
    }

    var isHandshaking: Bool { !handshakeDone }
    var hasBufferedInput: Bool { openSSL.SSL_pending(session) > 0 }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        if let blocked = handshake(for: .receive) { return blocked }

        clearErrors()
        let count = openSSL.SSL_read(session, buffer.baseAddress, Int32(clamping: buffer.count))
        if count > 0 {
            receiveBlockedOn = 0
            return .transferred(Int(count))
        }
        return outcome(of: count, operation: "TLS receive", for: .receive)
    }

    func send(_ bytes: UnsafeRawBufferPointer, more: Bool) -> TransportResult {
        if let blocked = handshake(for: .send) { return blocked }

        clearErrors()
        // `more` is ignored: each SSL_write makes records of its own, so a response head travels in a
        // small record ahead of its body, about 30 bytes of overhead per response.
        let count = openSSL.SSL_write(session, bytes.baseAddress, Int32(clamping: bytes.count))
        if count > 0 {
            sendBlockedOn = 0
            return .transferred(Int(count))
        }
        return outcome(of: count, operation: "TLS send", for: .send)
    }

    /// Sends close_notify once, then shuts the socket's write side. A close_notify that does not fit the
    /// socket buffer is dropped, because the response before it has already been sent.
    func shutdownOutput() {
        if handshakeDone, !sentCloseNotify {
            sentCloseNotify = true
            clearErrors()
            _ = openSSL.SSL_shutdown(session)
        }
        shutdown(descriptor, Int32(SHUT_WR))
    }

    func close() {
        openSSL.SSL_free(session)
        Glibc.close(descriptor)
    }

    /// Advances the handshake; returns nil once it is done, else the result to hand back.
    private func handshake(for direction: Direction) -> TransportResult? {
        guard !handshakeDone else { return nil }

        let result = advanceHandshake(for: direction)
        if case .failed(let reason) = result {
            reportHandshakeFailure(reason)
        }
        return result
    }

    private func advanceHandshake(for direction: Direction) -> TransportResult? {

        clearErrors()
        let result = openSSL.SSL_do_handshake(session)
        if result == 1 {
            handshakeDone = true
            receiveBlockedOn = 0
            sendBlockedOn = 0
            return checkClientNames()
        }
        let error = openSSL.SSL_get_error(session, result)
        if error == SSL_ERROR_SSL, ember_err_reason(openSSL.ERR_peek_error()) == ember_ssl_reason_http_request() {
            answerPlainHTTP()
            return .failed("TLS handshake failed: the client sent plain HTTP to the TLS port")
        }
        return outcome(of: result, operation: "TLS handshake", for: direction)
    }

    /// Rejects a client certificate without a name from `client_allowed_sans`, once the handshake is done.
    private func checkClientNames() -> TransportResult? {
        guard !allowedNames.isEmpty else { return nil }

        let names = openSSL.SSL_get0_peer_certificate(session).map(SubjectAlternativeNames.of) ?? []
        if names.contains(where: allowedNames.contains) { return nil }
        let listed = names.isEmpty ? "none" : names.joined(separator: ", ")
        return .failed("client certificate rejected: none of its subject alternative names (\(listed)) is in "
                       + "client_allowed_sans")
    }

    private enum Direction {
        case receive
        case send
    }

    /// Maps a failed OpenSSL call to a result, noting which poll event a blocked call waits for.
    private func outcome(of result: Int32, operation: String, for direction: Direction) -> TransportResult {
        switch openSSL.SSL_get_error(session, result) {
        case SSL_ERROR_WANT_READ:
            setBlocked(direction, on: Int16(POLLIN))
            return .wouldBlock
        case SSL_ERROR_WANT_WRITE:
            setBlocked(direction, on: Int16(POLLOUT))
            return .wouldBlock
        case SSL_ERROR_ZERO_RETURN:
            return .endOfInput
        case SSL_ERROR_SYSCALL:
            let code = errno
            if code == 0 { return .endOfInput }
            return .failed("\(operation) failed: \(String(cString: strerror(code)))")
        default:
            return .failed("\(operation) failed: \(openSSLErrors())")
        }
    }

    /// Empties OpenSSL's error queue and errno before a call, so that SSL_ERROR_SYSCALL with errno 0
    /// reliably means the peer closed the connection, not a value left by an earlier call.
    private func clearErrors() {
        openSSL.ERR_clear_error()
        errno = 0
    }

    private func setBlocked(_ direction: Direction, on events: Int16) {
        switch direction {
        case .receive: receiveBlockedOn = events
        case .send: sendBlockedOn = events
        }
    }

    private func answerPlainHTTP() {
        _ = Self.plainHTTPResponse.withUnsafeBytes { bytes in
            Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        }
    }
}
