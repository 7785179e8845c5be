#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import Synchronization

public struct HTTPServerConfiguration: Sendable {
    /// Addresses in `host:port`, `[ipv6]:port` or `:port` form (see ``ListenAddress``).
    public var listenAddresses: [String]
    /// Maximum number of open connections, lowered at start when the open-file limit
    /// (RLIMIT_NOFILE) cannot hold them (see ``DescriptorBudget``). At the limit, a new connection
    /// closes the one that has waited longest for a request: idle keep-alive, silent or slow (see
    /// ``HTTPConnection/waitingSince``). Without one, it closes the one that has been sending its responses
    /// longest, if for a second or more, so clients that read a byte at a time cannot keep every slot. Else
    /// the new connection gets 503.
    public var maxConnections = 64
    /// Request line limit in bytes, CRLF included (414 above it).
    public var maxRequestLineBytes = 4096
    /// Header block limit in bytes after the request line (431 above it).
    public var maxHeaderBytes = 8192
    /// Maximum number of header fields in a request (431 above it).
    public var maxHeaderCount = 100
    /// Request body limit in bytes; bodies are read and discarded (413 above it).
    public var maxBodyBytes = 65536
    /// Time allowed to receive a whole request, head and body. For a connection's first request it runs
    /// from the accept, so a client that connects and sends nothing is closed after it. For later requests
    /// on a keep-alive connection it runs from the request's first byte. A request still incomplete then
    /// gets 408, so a client that sends one byte at a time cannot hold a connection longer than this.
    public var readTimeout: Duration = .seconds(10)
    /// Time a keep-alive connection may wait for its next request.
    public var idleTimeout: Duration = .seconds(60)
    /// Time a response may make no progress because the client does not read.
    public var writeTimeout: Duration = .seconds(10)
    /// Time the input of a closing connection is drained after the last response, so that the client
    /// reads that response instead of a connection reset.
    public var lingerTimeout: Duration = .seconds(2)
    /// Serves HTTPS with this context when set; plain HTTP otherwise.
    public var tls: TLSServerContext?

    public init(listenAddresses: [String]) {
        self.listenAddresses = listenAddresses
    }
}

/// An HTTP/1.1 server on one event-loop thread: non-blocking sockets multiplexed with `poll`, keep-alive,
/// pipelining, GET and HEAD (the server drops HEAD bodies), and the limits and timeouts of
/// ``HTTPServerConfiguration``.
///
/// The handler runs on the loop thread, so it must return quickly, as a lookup in ``ExpositionCache``
/// does. Routing is the handler's job (see ``HTTPRouter``).
public final class HTTPServer: Sendable {
    private struct Running {
        let thread: pthread_t
        let wakeDescriptor: Int32
        let boundAddresses: [ListenAddress]
    }

    private let configuration: HTTPServerConfiguration
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let logger: Logger
    private let running = Mutex<Running?>(nil)
    /// Connection and response counts, for the `ember_http_*` families.
    public let statistics = HTTPServerStatistics()

    public init(
        configuration: HTTPServerConfiguration, logger: Logger,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    deinit {
        stop()
    }

    /// The bound addresses, with the ports the kernel chose for port 0; empty unless running.
    public var boundAddresses: [ListenAddress] {
        running.withLock { $0?.boundAddresses ?? [] }
    }

    /// Binds every listen address and starts the loop thread. Nothing is left open when it throws.
    public func start() throws(HTTPServerError) {
        try running.withLock { (running: inout Running?) throws(HTTPServerError) in
            guard running == nil else { throw .alreadyStarted }

            let listeners = try Self.openListeners(configuration.listenAddresses)
            let loop: HTTPEventLoop
            do throws(HTTPServerError) {
                loop = try HTTPEventLoop(listeners: listeners.map(\.descriptor), configuration: fittedConfiguration(),
                                         handler: handler, logger: logger, statistics: statistics)
            } catch {
                listeners.forEach { Glibc.close($0.descriptor) }
                throw error
            }

            let thread = try loop.startThread()
            running = Running(thread: thread, wakeDescriptor: loop.wakeWriteDescriptor,
                              boundAddresses: listeners.map(\.bound))
        }
        for address in boundAddresses {
            logger.info("HTTP server listening", ("address", address.description))
        }
    }

    /// Wakes the loop, waits for its thread to end and closes every socket. Safe to call more than once.
    public func stop() {
        guard let stopped = running.withLock({ running -> Running? in
            defer { running = nil }
            return running
        }) else { return }

        var byte: UInt8 = 1
        _ = Glibc.write(stopped.wakeDescriptor, &byte, 1)
        pthread_join(stopped.thread, nil)
        Glibc.close(stopped.wakeDescriptor)
        logger.info("HTTP server stopped")
    }

    /// Returns the configuration with the connection limit lowered to what the open-file limit holds, and
    /// warns when it had to be lowered.
    private func fittedConfiguration() -> HTTPServerConfiguration {
        var fitted = configuration
        let openFileLimit = DescriptorBudget.softLimit()
        fitted.maxConnections = DescriptorBudget.connectionLimit(configured: configuration.maxConnections,
                                                                 openFileLimit: openFileLimit)
        if fitted.maxConnections < configuration.maxConnections {
            logger.warn("lowered the connection limit to fit the open-file limit (RLIMIT_NOFILE). "
                            + "Raise the hard limit (LimitNOFILE= in a systemd unit) to allow more",
                        ("configured", String(configuration.maxConnections)),
                        ("effective", String(fitted.maxConnections)), ("open_file_limit", String(openFileLimit)))
        }
        return fitted
    }

    private static func openListeners(_ addresses: [String]) throws(HTTPServerError)
        -> [(descriptor: Int32, bound: ListenAddress)]
    {
        var opened: [(descriptor: Int32, bound: ListenAddress)] = []
        do throws(HTTPServerError) {
            for text in addresses {
                opened.append(try ListeningSocket.open(try ListenAddress(parsing: text)))
            }
        } catch {
            opened.forEach { Glibc.close($0.descriptor) }
            throw error
        }
        return opened
    }
}
