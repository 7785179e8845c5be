import EmberCore
import Synchronization

/// Applies `rate_limit` to every request before authentication. Requests beyond the limit get 429
/// "Too Many Requests", as in exporter-toolkit's web handler. All clients share one limit.
public final class RequestRateLimiter: Sendable {
    private let bucket: Mutex<TokenBucket>
    private let clock: any Clock

    public init(_ limit: RateLimit, clock: any Clock = SystemClock()) {
        self.clock = clock
        bucket = Mutex(TokenBucket(capacity: limit.burst, interval: limit.intervalNanoseconds,
                                   now: clock.monotonicNanoseconds()))
    }

    public func limiting(_ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse)
        -> @Sendable (HTTPRequest) -> HTTPResponse
    {
        { request in
            guard self.bucket.withLock({ $0.spend(now: self.clock.monotonicNanoseconds()) }) else {
                return .text(429, "Too Many Requests")
            }
            return handler(request)
        }
    }
}
