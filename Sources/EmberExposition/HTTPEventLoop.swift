#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEmberShims
import EmberCore

/// The server's thread: one `poll` over the wake pipe, the listening sockets and every connection.
///
/// Only the loop thread touches this object after ``startThread()``; ``HTTPServer/stop()`` talks to it
/// through the wake pipe alone.
final class HTTPEventLoop {
    /// How long accepting pauses when the process is out of descriptors (EMFILE), so the loop does not spin
    /// on a listening socket that stays readable.
    private static let acceptPause: UInt64 = 100_000_000
    /// Maximum connections accepted per listener in one pass of the loop. The rest wait in the listen backlog
    /// until the loop has read the requests of the connections it just admitted, so a burst of new
    /// connections cannot close them again before their requests are read. When the backlog overflows, the
    /// kernel drops new SYNs and clients retry them about a second later.
    private static let maxAcceptsPerWake = 16
    /// Minimum time a connection has been sending before it may be closed for a new one, in nanoseconds. It
    /// spares a scrape being written right now, which on a LAN takes milliseconds.
    private static let minimumSendingAgeToEvict: UInt64 = 1_000_000_000
    /// Minimum interval between two warnings about rejected connections or failed accepts, in nanoseconds.
    private static let rejectionLogInterval: UInt64 = 60_000_000_000

    let wakeWriteDescriptor: Int32
    private let wakeReadDescriptor: Int32
    private let listeners: [Int32]
    private let context: HTTPConnectionContext
    private let clock = SystemClock()

    private var connections: [HTTPConnection] = []
    private var nextConnectionID: UInt64 = 1
    private var acceptPausedUntil: UInt64 = 0
    private var rejectionsSinceLog = 0
    private var lastRejectionLog: UInt64 = 0
    private var acceptFailuresSinceLog = 0
    private var lastAcceptFailureLog: UInt64 = 0

    init(
        listeners: [Int32], configuration: HTTPServerConfiguration,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse, logger: Logger, statistics: HTTPServerStatistics
    ) throws(HTTPServerError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw .socketFailed(call: "pipe", address: "wake pipe", errno: errno)
        }
        ends.forEach(Self.makeNonBlocking)

        wakeReadDescriptor = ends[0]
        wakeWriteDescriptor = ends[1]
        self.listeners = listeners
        var parser = HTTPRequestParser(maxRequestLineBytes: configuration.maxRequestLineBytes,
                                       maxHeaderBytes: configuration.maxHeaderBytes,
                                       maxBodyBytes: configuration.maxBodyBytes)
        parser.maxHeaderCount = configuration.maxHeaderCount
        context = HTTPConnectionContext(configuration: configuration, parser: parser, handler: handler,
                                        logger: logger, tls: configuration.tls,
                                        statistics: statistics)
    }

    /// Starts the thread that runs ``run()`` and owns this loop until it returns.
    func startThread() throws(HTTPServerError) -> pthread_t {
        let retained = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let loop = Unmanaged<HTTPEventLoop>.fromOpaque(argument!).takeRetainedValue()
            loop.run()
            return nil
        }, retained)

        guard result == 0 else {
            Unmanaged<HTTPEventLoop>.fromOpaque(retained).release()
            closeAll()
            Glibc.close(wakeWriteDescriptor)
            throw .threadStartFailed(errno: result)
        }
        return thread
    }

    private func run() {
        Self.blockBrokenPipeSignal()
        var descriptors: [pollfd] = []
        while true {
            let now = clock.monotonicNanoseconds()
            fillPollDescriptors(&descriptors, now: now)
            let result = poll(&descriptors, nfds_t(descriptors.count), pollTimeout(now: now))
            if result < 0 {
                if errno != EINTR {
                    context.logger.error("poll failed", ("err", String(cString: strerror(errno))))
                    usleep(10_000)
                }
                continue
            }
            if descriptors[0].revents != 0 { break }

            dispatch(descriptors, now: clock.monotonicNanoseconds())
        }
        closeAll()
    }

    /// The wake pipe first, then the listeners (fd -1, which poll skips, while accepting is paused), then
    /// the connections in array order.
    private func fillPollDescriptors(_ descriptors: inout [pollfd], now: UInt64) {
        descriptors.removeAll(keepingCapacity: true)
        descriptors.append(pollfd(fd: wakeReadDescriptor, events: Int16(POLLIN), revents: 0))
        for listener in listeners {
            descriptors.append(pollfd(fd: now >= acceptPausedUntil ? listener : -1, events: Int16(POLLIN), revents: 0))
        }
        for connection in connections {
            descriptors.append(pollfd(fd: connection.descriptor, events: connection.pollEvents, revents: 0))
        }
    }

    /// Milliseconds until the earliest deadline, rounded up; -1 (wait forever) without one.
    private func pollTimeout(now: UInt64) -> Int32 {
        var earliest = connections.map { $0.deadline() }.min()
        if acceptPausedUntil > now {
            earliest = min(earliest ?? acceptPausedUntil, acceptPausedUntil)
        }
        guard let earliest else { return -1 }
        guard earliest > now else { return 0 }
        return Int32(min((earliest - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    /// Handles connection events before accepting, because accepting appends to `connections`.
    private func dispatch(_ descriptors: [pollfd], now: UInt64) {
        let firstConnection = 1 + listeners.count
        for (index, connection) in connections.enumerated() {
            let events = descriptors[firstConnection + index].revents
            if events != 0 {
                connection.handle(events: events, now: now)
            }
        }
        for (index, listener) in listeners.enumerated() where descriptors[1 + index].revents != 0 {
            acceptConnections(from: listener, now: now)
        }
        for connection in connections {
            connection.handleDeadline(now: now)
        }
        connections.removeAll { $0.isClosed }
        context.statistics.recordOpenConnections(connections.count)
    }

    /// Blocks SIGPIPE on the loop thread, because OpenSSL writes to sockets with write(2), which raises
    /// SIGPIPE on a connection the peer has reset. Blocked, the signal stays pending and the write fails
    /// with EPIPE instead of ending the process. Plain sockets use MSG_NOSIGNAL and do not need this.
    private static func blockBrokenPipeSignal() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    private func closeAll() {
        for connection in connections {
            connection.close(reason: "server stopping")
        }
        connections.removeAll()
        listeners.forEach { Glibc.close($0) }
        Glibc.close(wakeReadDescriptor)
    }
}

extension HTTPEventLoop {
    private func acceptConnections(from listener: Int32, now: UInt64) {
        for _ in 0..<Self.maxAcceptsPerWake {
            var address = sockaddr_storage()
            var length = UInt32(MemoryLayout<sockaddr_storage>.size)
            let descriptor = ember_accept_connection(listener, &address, &length)

            guard descriptor >= 0 else {
                switch -descriptor {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EAGAIN, EWOULDBLOCK: return
                default:
                    noteAcceptFailure(errno: -descriptor, now: now)
                    acceptPausedUntil = now + Self.acceptPause
                    return
                }
            }

            context.statistics.recordAccepted()
            // Responses are queued whole, so Nagle's algorithm would only delay their last segment.
            var one: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if let admitted = admit(descriptor, peer: Self.describe(address), now: now) {
                // A client usually sends its request right after connecting, so it is often here already.
                // Reading it now sends the response before later accepts can close this connection to make room.
                admitted.handle(events: Int16(POLLIN), now: now)
            }
        }
    }

    /// Adds a connection within the limit. At the limit, ``makeRoom(limit:now:)`` closes another connection.
    /// When none can be closed (every connection has had a response in flight for less than a second), the
    /// new connection gets 503.
    /// Connections being closed count only against a hard cap of twice the limit, above which new ones are
    /// closed at once. Returns the connection unless it was rejected.
    private func admit(_ descriptor: Int32, peer: String, now: UInt64) -> HTTPConnection? {
        let limit = context.configuration.maxConnections
        guard let transport = makeTransport(descriptor, peer: peer, now: now) else { return nil }
        let connection = HTTPConnection(transport: transport, id: nextConnectionID, peer: peer, context: context,
                                        now: now)
        nextConnectionID += 1

        let active = connections.count { !$0.isClosing && !$0.isClosed }
        if active < limit {
            connections.append(connection)
            return connection
        } else if makeRoom(limit: limit, now: now) {
            connections.append(connection)
            return connection
        } else if connections.count < 2 * limit {
            connections.append(connection)
            connection.reject(.text(503, "too many connections; retry later"), now: now)
        } else {
            connection.close(reason: "rejected at twice the connection limit")
        }
        context.statistics.recordClosed(.rejected)
        noteRejection(peer: peer, now: now)
        return nil
    }

    /// Closes one connection for a new one, longest ``HTTPConnection/waitingSince`` first. Each candidate's
    /// pending input is read first, because a request may have arrived since the last poll. A candidate that
    /// got a response that way is kept, and one that starts closing frees its slot by itself.
    /// Without a waiting connection, the one sending longest goes, if it has been sending for at least
    /// ``minimumSendingAgeToEvict``. Returns false when no connection can make room.
    private func makeRoom(limit: Int, now: UInt64) -> Bool {
        if closeLongestWaiting(limit: limit, now: now) {
            return true
        }

        let sending = connections.compactMap { connection in connection.sendingSince.map { (connection, $0) } }
        guard let (slowest, since) = sending.min(by: { $0.1 < $1.1 }), now - since >= Self.minimumSendingAgeToEvict
        else {
            return false
        }
        context.statistics.recordClosed(.evicted)
        slowest.close(reason: "closed for a new connection at the limit of \(limit) after sending for "
                          + "\((now - since) / 1_000_000) ms")
        return true
    }

    private func closeLongestWaiting(limit: Int, now: UInt64) -> Bool {
        while let candidate = connectionToEvict() {
            let waitingBefore = candidate.waitingSince
            candidate.handle(events: Int16(POLLIN), now: now)
            if candidate.isClosing || candidate.isClosed {
                return true
            }
            if let waiting = candidate.waitingSince, waiting == waitingBefore {
                context.statistics.recordClosed(.evicted)
                candidate.close(reason: "closed for a new connection at the limit of \(limit)")
                return true
            }
        }
        return false
    }

    private func connectionToEvict() -> HTTPConnection? {
        var best: (connection: HTTPConnection, since: UInt64)?
        for connection in connections {
            guard let since = connection.waitingSince else { continue }
            if let current = best, current.since <= since { continue }
            best = (connection, since)
        }
        return best?.connection
    }

    /// Logs a failed accept (EMFILE, ENFILE, ENOBUFS, ENOMEM), at most once per log interval with the
    /// number of failures since the last line, because the loop retries every 100 ms while it lasts.
    private func noteAcceptFailure(errno code: Int32, now: UInt64) {
        acceptFailuresSinceLog += 1
        context.statistics.recordAcceptError()
        guard lastAcceptFailureLog == 0 || now - lastAcceptFailureLog >= Self.rejectionLogInterval else { return }

        context.logger.warn("failed to accept an HTTP connection, retrying every 100 ms",
                            ("err", String(cString: strerror(code))), ("failures", String(acceptFailuresSinceLog)),
                            ("connections", String(connections.count)))
        acceptFailuresSinceLog = 0
        lastAcceptFailureLog = now
    }

    /// Wraps the socket in a TLS session when the server speaks TLS; closes it if OpenSSL cannot start one.
    private func makeTransport(_ descriptor: Int32, peer: String, now: UInt64) -> (any ConnectionTransport)? {
        guard let tls = context.tls else { return PlainTransport(descriptor: descriptor) }
        guard let transport = tls.makeTransport(descriptor: descriptor, peer: peer, now: now) else {
            context.logger.error("failed to start a TLS session; closing the connection", ("peer", peer),
                                 ("err", openSSLErrors()))
            Glibc.close(descriptor)
            return nil
        }
        return transport
    }

    private func noteRejection(peer: String, now: UInt64) {
        rejectionsSinceLog += 1
        guard lastRejectionLog == 0 || now - lastRejectionLog >= Self.rejectionLogInterval else { return }

        context.logger.warn("rejected HTTP connections at the connection limit",
                            ("limit", String(context.configuration.maxConnections)),
                            ("rejected", String(rejectionsSinceLog)), ("peer", peer))
        rejectionsSinceLog = 0
        lastRejectionLog = now
    }

    /// Sets O_NONBLOCK and FD_CLOEXEC on a pipe end. Glibc's Swift module has no pipe2, so the flags are
    /// set after the descriptor exists. That leaves a window only for a concurrent fork, which the agent
    /// does not do.
    private static func makeNonBlocking(_ descriptor: Int32) {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }

    /// Formats a peer address as `host:port` or `[host]:port`, for logs.
    private static func describe(_ storage: sockaddr_storage) -> String {
        var storage = storage
        let family = Int32(storage.ss_family)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var ip = address.pointee.sin_addr
                    inet_ntop(AF_INET, &ip, &text, socklen_t(text.count))
                    return cString(text) + ":\(UInt16(bigEndian: address.pointee.sin_port))"
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var ip = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count))
                    return "[" + cString(text) + "]:\(UInt16(bigEndian: address.pointee.sin6_port))"
                }
            default:
                return "unknown"
            }
        }
    }
}

private func cString(_ characters: [CChar]) -> String {
    let bytes = characters.prefix { $0 != 0 }.map { UInt8(truncatingIfNeeded: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
