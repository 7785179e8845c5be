import EmberCore
import Synchronization

/// Counts of the HTTP server's connections and responses since it started, exported as the `ember_http_*`
/// families. The event loop thread writes them and the sampler reads them once per sample.
public final class HTTPServerStatistics: Sendable {
    /// The reason the server closed a connection before its client did.
    enum CloseReason: String, CaseIterable {
        /// Closed to admit a new connection at the connection limit.
        case evicted
        /// Sent 503 or closed at once, because the limit was reached and no connection could make room.
        case rejected
        /// The request, or the first one after the accept, did not arrive within the read timeout.
        case readTimeout = "read_timeout"
        case idleTimeout = "idle_timeout"
        /// The client did not read its response within the write timeout.
        case writeTimeout = "write_timeout"
    }

    private struct Counts {
        var accepted: UInt64 = 0
        var acceptErrors: UInt64 = 0
        var open = 0
        var closed: [CloseReason: UInt64] = [:]
        var responses: [Int: UInt64] = [:]
    }

    static let accepted = MetricDescriptor(
        "ember_http_connections_accepted_total", "HTTP connections accepted since the agent started.", type: .counter)
    static let acceptErrors = MetricDescriptor(
        "ember_http_accept_errors_total",
        "Failed accepts of HTTP connections (out of file descriptors or memory) since the agent started.",
        type: .counter)
    static let open = MetricDescriptor(
        "ember_http_open_connections", "HTTP connections open at the last sample, closing ones included.")
    static let closed = MetricDescriptor(
        "ember_http_connections_closed_total",
        "HTTP connections the agent closed before the client did, by reason: evicted (for a new connection at "
            + "the limit), rejected (limit reached), read_timeout, idle_timeout or write_timeout.",
        type: .counter, labels: ["reason"])
    static let responses = MetricDescriptor(
        "ember_http_responses_total", "HTTP responses sent since the agent started, by status code.",
        type: .counter, labels: ["code"])

    private let counts = Mutex(Counts())

    public init() {}

    func recordAccepted() {
        counts.withLock { $0.accepted += 1 }
    }

    func recordAcceptError() {
        counts.withLock { $0.acceptErrors += 1 }
    }

    func recordOpenConnections(_ count: Int) {
        counts.withLock { $0.open = count }
    }

    func recordClosed(_ reason: CloseReason) {
        counts.withLock { $0.closed[reason, default: 0] += 1 }
    }

    func recordResponse(status: Int) {
        counts.withLock { $0.responses[status, default: 0] += 1 }
    }

    /// Returns the current values. Every close reason is present from the start, at 0, so that `rate()`
    /// counts the first close. A status code appears once a response with it was sent.
    public func samples() -> [Sample] {
        let current = counts.withLock { $0 }
        var sink = MetricSink()
        sink.add(Self.accepted, Double(current.accepted))
        sink.add(Self.acceptErrors, Double(current.acceptErrors))
        sink.add(Self.open, Double(current.open))
        for reason in CloseReason.allCases {
            sink.add(Self.closed, Double(current.closed[reason, default: 0]), reason.rawValue)
        }
        for (status, count) in current.responses.sorted(by: { $0.key < $1.key }) {
            sink.add(Self.responses, Double(count), String(status))
        }
        return sink.samples
    }
}
