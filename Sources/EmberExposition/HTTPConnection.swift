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
    private var answeredRequests = 0

    init(transport: any ConnectionTransport, id: UInt64, peer: String, context: HTTPConnectionContext, now: UInt64) {
        self.transport = transport
        self.id = id
        self.peer = peer
        self.context = context
        self.lastActivity = now
        self.lastWriteProgress = now
    }

    /// A keep-alive connection between requests with nothing to send, which the server may close to make
    /// room. A connection that has not sent its first request yet does not count: its client would see the
    /// close as a failure, where clients retry a request on a reused connection that the server closed.
    var isIdle: Bool {
        answeredRequests > 0 && !isClosing && !isClosed && input.isEmpty && output.isEmpty
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
        enqueue(response, version: version, keepsAlive: false, isHead: false)
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
    /// The next moment a timeout applies to this connection.
    func deadline() -> UInt64 {
        let configuration = context.configuration
        if let lingerDeadline { return lingerDeadline }
        if !output.isEmpty { return lastWriteProgress + configuration.writeTimeout.nanoseconds }
        if transport.isHandshaking { return lastActivity + configuration.readTimeout.nanoseconds }
        if let requestStartedAt { return requestStartedAt + configuration.readTimeout.nanoseconds }
        return lastActivity + configuration.idleTimeout.nanoseconds
    }

    func handleDeadline(now: UInt64) {
        guard !isClosed, now >= deadline() else { return }

        if lingerDeadline != nil {
            close(reason: "linger timeout after the last response")
        } else if !output.isEmpty {
            close(reason: "write timed out after \(context.configuration.writeTimeout)")
        } else if transport.isHandshaking {
            close(reason: "TLS handshake not completed within \(context.configuration.readTimeout)")
        } else if requestStartedAt != nil {
            context.logger.debug("HTTP request timed out", ("connection", String(id)), ("peer", peer))
            reject(.text(408, "request not received within \(context.configuration.readTimeout)"), now: now)
        } else {
            close(reason: "idle for \(context.configuration.idleTimeout)")
        }
    }
}

extension HTTPConnection {
    private func readAvailable(now: UInt64) {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        reading: while !isClosed {
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
                isHead: request.method == "HEAD")
        requestStartedAt = nil
        lastActivity = now
        answeredRequests += 1
        if !keepsAlive {
            isClosing = true
        }
    }

    private func enqueue(_ response: HTTPResponse, version: HTTPVersion, keepsAlive: Bool, isHead: Bool) {
        let wallSeconds = Int(WallClock.now())
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
