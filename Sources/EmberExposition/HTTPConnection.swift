#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// Settings and the handler, shared by every connection of one server.
struct HTTPConnectionContext {
    let configuration: HTTPServerConfiguration
    let parser: HTTPRequestParser
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let logger: Logger
    /// Set when the server speaks TLS; each connection then starts a session from it.
    let tls: TLSServerContext?
    let statistics: HTTPServerStatistics

    /// Pipelined requests wait unparsed while this many response bytes are unsent, so a client that
    /// sends without reading cannot make the server buffer without bound.
    static let maxPendingOutputBytes = 1 << 20
}

/// One client connection, driven by the event loop on readiness; every call returns without blocking.
///
/// A connection is open (reading requests and writing responses), then closing (an error response or
/// `Connection: close` is being flushed), then lingering (the write side is shut and input is drained
/// until the client closes or the linger timeout passes, so the client reads the last response instead of
/// a reset), then closed.
final class HTTPConnection {
    let transport: any ConnectionTransport
    var descriptor: Int32 { transport.descriptor }
    let id: UInt64
    let peer: String
    private let context: HTTPConnectionContext

    private var input: [UInt8] = []
    private var output = OutputQueue()
    private var inputEnded = false
    private(set) var isClosing = false
    private var lingerDeadline: UInt64?
    private(set) var isClosed = false

    /// When the first byte of the request being read arrived; nil between requests.
    private var requestStartedAt: UInt64?
    /// When a request was last completed or the connection opened, for the idle timeout.
    private(set) var lastActivity: UInt64
    private var lastWriteProgress: UInt64
    /// When the output queue last went from empty to non-empty; nil while it is empty.
    private var sendingStartedAt: UInt64?
    private var answeredRequests = 0

    init(transport: any ConnectionTransport, id: UInt64, peer: String, context: HTTPConnectionContext, now: UInt64) {
        self.transport = transport
        self.id = id
        self.peer = peer
        self.context = context
        self.lastActivity = now
        self.lastWriteProgress = now
    }

    /// The time since which this connection has been waiting for a complete request, or nil when it has a
    /// response in flight or is closing. At the limit, the server closes the connection that has waited
    /// longest to admit a new one. The time is the last response for an idle keep-alive connection, the
    /// accept for one that has sent nothing, and the first byte for one with an incomplete request.
    ///
    /// One order for all three keeps a scraper's new connection safe: it sends its request within
    /// milliseconds, so it is never the longest waiting unless more new connections than the limit arrive
    /// meanwhile. Ranking slow requests after idle ones instead let byte-at-a-time clients pile up in the
    /// connection table until only a few slots turned over for everyone else.
    var waitingSince: UInt64? {
        guard !isClosing, !isClosed, output.isEmpty else { return nil }
        return requestStartedAt ?? lastActivity
    }

    /// The time since which this open connection has had responses to send, or nil when it has none or is
    /// closing. The server closes the one sending longest to admit a new connection when no connection is
    /// waiting, so clients that read their responses a byte at a time cannot keep every slot.
    var sendingSince: UInt64? {
        guard !isClosing, !isClosed else { return nil }
        return sendingStartedAt
    }

    var pollEvents: Int16 {
        if isClosed { return 0 }
        if lingerDeadline != nil { return Int16(POLLIN) | transport.receiveBlockedOn }

        let wantsInput = !isClosing && !inputEnded && output.pendingBytes < HTTPConnectionContext.maxPendingOutputBytes
        let inputEvents = wantsInput ? Int16(POLLIN) | transport.receiveBlockedOn : 0
        let outputEvents = output.isEmpty ? 0 : Int16(POLLOUT) | transport.sendBlockedOn
        return inputEvents | outputEvents
    }

    func handle(events: Int16, now: UInt64) {
        if events & Int16(POLLNVAL) != 0 {
            close(reason: "invalid descriptor")
            return
        }
        // A TLS session may need the opposite readiness: a handshake step that writes, or a read
        // before a write can go on.
        if events & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR) | transport.receiveBlockedOn) != 0 {
            readAvailable(now: now)
        }
        if !isClosed, events & (Int16(POLLOUT) | transport.sendBlockedOn) != 0 {
            flush(now: now)
        }
    }

    /// Queues an error response and closes once it is sent; used for the connection-limit 503 too.
    func reject(_ response: HTTPResponse, version: HTTPVersion = .http11, now: UInt64) {
        input.removeAll()
        requestStartedAt = nil
        enqueue(response, version: version, keepsAlive: false, isHead: false, now: now)
        isClosing = true
        flush(now: now)
    }

    func close(reason: String) {
        guard !isClosed else { return }
        isClosed = true
        transport.close()
        context.logger.debug("closed HTTP connection", ("connection", String(id)), ("peer", peer), ("reason", reason))
    }
}

extension HTTPConnection {
    /// The next moment a timeout applies to this connection. The first request's read timeout runs from
    /// the accept (`lastActivity` is the accept time until a request is answered).
    func deadline() -> UInt64 {
        let configuration = context.configuration
        if let lingerDeadline { return lingerDeadline }
        if !output.isEmpty { return lastWriteProgress + configuration.writeTimeout.nanoseconds }
        if answeredRequests == 0 { return lastActivity + configuration.readTimeout.nanoseconds }
        if let requestStartedAt { return requestStartedAt + configuration.readTimeout.nanoseconds }
        return lastActivity + configuration.idleTimeout.nanoseconds
    }

    func handleDeadline(now: UInt64) {
        guard !isClosed, now >= deadline() else { return }

        if lingerDeadline != nil {
            close(reason: "linger timeout after the last response")
        } else if !output.isEmpty {
            context.statistics.recordClosed(.writeTimeout)
            close(reason: "write timed out after \(context.configuration.writeTimeout)")
        } else if answeredRequests == 0, requestStartedAt == nil {
            context.statistics.recordClosed(.readTimeout)
            let timeout = context.configuration.readTimeout
            close(reason: transport.isHandshaking
                ? "TLS handshake not completed within \(timeout)" : "no request within \(timeout) of connecting")
        } else if requestStartedAt != nil {
            context.logger.debug("HTTP request timed out", ("connection", String(id)), ("peer", peer))
            context.statistics.recordClosed(.readTimeout)
            reject(.text(408, "request not received within \(context.configuration.readTimeout)"), now: now)
        } else {
            context.statistics.recordClosed(.idleTimeout)
            close(reason: "idle for \(context.configuration.idleTimeout)")
        }
    }
}

extension HTTPConnection {
    /// Reads until the socket has no more data or the input contains more than an incomplete request can take.
    /// That bound keeps a client that sends without pause from growing the buffer within one call. The
    /// parser then returns a request or an error for the buffered input, so the bytes left in the socket are
    /// read on the next call.
    /// Bytes a TLS session has already decrypted are read past the bound, because poll does not report
    /// them. They are at most the rest of one 16 KiB record, because OpenSSL's read-ahead is off.
    private func readAvailable(now: UInt64) {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        reading: while !isClosed, input.count <= context.parser.maxIncompleteBytes || transport.hasBufferedInput {
            switch chunk.withUnsafeMutableBytes({ transport.receive(into: $0) }) {
            case .transferred(let count):
                if lingerDeadline == nil, !isClosing {
                    input.append(contentsOf: chunk[..<count])
                }
            case .endOfInput:
                inputEnded = true
                break reading
            case .wouldBlock:
                break reading
            case .failed(let message):
                close(reason: message)
            }
        }

        guard !isClosed else { return }
        if lingerDeadline != nil {
            if inputEnded { close(reason: "client closed after the last response") }
            return
        }
        processRequests(now: now)
        flush(now: now)
    }

    /// Parses the complete requests in the input and queues their responses in order, until output backs up.
    private func processRequests(now: UInt64) {
        var consumed = 0
        defer {
            input.removeFirst(min(consumed, input.count))
            if input.isEmpty {
                requestStartedAt = nil
            } else if requestStartedAt == nil {
                requestStartedAt = now
            }
        }

        while !isClosing, output.pendingBytes < HTTPConnectionContext.maxPendingOutputBytes {
            switch context.parser.parse(input[consumed...]) {
            case .incomplete:
                // After the client's end of input, nothing more can complete, so the connection closes once the queued
                // responses are sent.
                if inputEnded {
                    isClosing = true
                }
                return
            case .failure(let error):
                context.logger.debug("rejected HTTP request", ("connection", String(id)), ("peer", peer),
                                     ("status", String(error.status)), ("err", error.message))
                consumed = input.count
                reject(.text(error.status, error.message), now: now)
            case .request(let request, let length):
                consumed += length
                respond(to: request, now: now)
            }
        }
    }

    private func respond(to request: HTTPRequest, now: UInt64) {
        let keepsAlive = request.keepsAlive
        enqueue(context.handler(request), version: request.version, keepsAlive: keepsAlive,
                isHead: request.method == "HEAD", now: now)
        requestStartedAt = nil
        lastActivity = now
        answeredRequests += 1
        if !keepsAlive {
            isClosing = true
        }
    }

    private func enqueue(_ response: HTTPResponse, version: HTTPVersion, keepsAlive: Bool, isHead: Bool, now: UInt64) {
        let wallSeconds = Int(WallClock.now())
        context.statistics.recordResponse(status: response.status)
        if output.isEmpty {
            sendingStartedAt = now
        }
        output.append(HTTPResponseHead.bytes(for: response, version: version, keepsAlive: keepsAlive,
                                             wallSeconds: wallSeconds))
        if !isHead {
            output.append(response.body)
        }
    }

    private func flush(now: UInt64) {
        let before = output.pendingBytes
        let outcome = output.write(to: transport)
        if output.pendingBytes < before {
            lastWriteProgress = now
        }

        switch outcome {
        case .failed(let message):
            close(reason: message)
        case .wouldBlock:
            break
        case .drained:
            sendingStartedAt = nil
            if isClosing {
                startLingering(now: now)
            } else if !input.isEmpty {
                processRequests(now: now)
                if !output.isEmpty { flush(now: now) }
            }
        }
    }

    private func startLingering(now: UInt64) {
        guard lingerDeadline == nil else { return }
        input.removeAll()
        transport.shutdownOutput()
        lingerDeadline = now + context.configuration.lingerTimeout.nanoseconds
        if inputEnded {
            close(reason: "response sent")
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped at zero.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
