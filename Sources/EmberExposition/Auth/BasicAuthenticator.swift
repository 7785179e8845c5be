import EmberCore
import Synchronization

/// Checks `Authorization: Basic` against the bcrypt hashes of `basic_auth_users` before any route runs.
///
/// A bcrypt at cost 10 takes tens of milliseconds, too slow for every scrape. So the outcome for each
/// (user, password, hash) triple is remembered by its SHA-256 digest, and the password itself is
/// never stored. exporter-toolkit (web/internal/authentication/basicauth) caches outcomes, failures
/// included, in the same way. Accepted and rejected triples are kept apart, so a client sending many
/// wrong passwords cannot push a scraper's accepted login out of the cache.
public final class BasicAuthenticator: Sendable {
    /// Maximum number of remembered outcomes of each kind; a full cache is emptied. A few users with
    /// one password each stay far below it.
    static let cacheLimit = 256
    /// New logins that may run bcrypt at once; after them, one per `loginInterval`. Cached logins do
    /// not count, so a scraper with a known password is never throttled.
    static let loginBurst = 4
    /// One bcrypt per second bounds the event loop's stall to one bcrypt's time in each second.
    static let loginInterval: UInt64 = 1_000_000_000

    /// The outcome of checking one request.
    enum Decision: Equatable {
        case accepted
        case rejected
        /// The bcrypt budget is spent; the request gets 429 without a bcrypt.
        case throttled
    }

    private let users: [String: String]
    /// A hash of a fixed password at the users' highest cost, checked for unknown users so their
    /// rejection costs as long as a wrong password does.
    private let decoyHash: String
    private let accepted = Mutex<Set<[UInt8]>>([])
    private let rejected = Mutex<Set<[UInt8]>>([])
    private let budget: Mutex<TokenBucket>
    private let clock: any Clock
    private let logger: Logger

    public convenience init(users: [String: String], logger: Logger) {
        self.init(users: users, logger: logger, clock: SystemClock())
    }

    init(users: [String: String], logger: Logger, clock: any Clock) {
        self.users = users
        self.logger = logger
        self.clock = clock
        self.budget = Mutex(TokenBucket(capacity: Self.loginBurst, interval: Self.loginInterval,
                                        now: clock.monotonicNanoseconds()))
        let cost = users.values.compactMap(Bcrypt.cost).max() ?? 10
        let setting = Bcrypt.makeSetting(cost: cost) ?? "$2b$10$abcdefghijklmnopqrstuu"
        self.decoyHash = Bcrypt.compute(password: "decoy", setting: setting) ?? setting
    }

    /// Returns `handler` behind the authentication check; without users it returns `handler` unchanged.
    public func protecting(_ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse)
        -> @Sendable (HTTPRequest) -> HTTPResponse
    {
        guard !users.isEmpty else { return handler }
        return { request in
            switch self.decide(request) {
            case .accepted: handler(request)
            case .rejected: Self.unauthorized
            case .throttled: Self.throttled
            }
        }
    }

    static let unauthorized = HTTPResponse.text(401, "Unauthorized", headers: [HTTPHeader("WWW-Authenticate", "Basic")])
    static let throttled = HTTPResponse.text(429, "too many new logins; retry in a second",
                                             headers: [HTTPHeader("Retry-After", "1")])

    // NOTE: bcrypt runs on the event loop thread, so each new (user, password) pair stalls every
    // connection for one bcrypt. At cost 10 that took 185-210 ms on a loaded 2-vCPU x86-64 VM
    // (BENCHMARKS.md); a board's cores are not measured yet. The budget bounds the stall per second.
    func decide(_ request: HTTPRequest) -> Decision {
        guard let (user, password) = Self.credentials(request.header("authorization")) else {
            logger.debug("basic auth failed", ("reason", "missing or malformed Authorization header"),
                         ("path", request.path))
            return .rejected
        }

        // Unknown users are checked against the decoy hash, so their rejection takes as long as a wrong
        // password's and the response time does not reveal which users exist.
        let hash = users[user] ?? decoyHash
        let key = Self.cacheKey(user: user, password: password, hash: hash)
        if accepted.withLock({ $0.contains(key) }) { return .accepted }
        if rejected.withLock({ $0.contains(key) }) {
            logFailure(user: user)
            return .rejected
        }

        guard budget.withLock({ $0.spend(now: clock.monotonicNanoseconds()) }) else {
            logger.debug("basic auth throttled", ("user", user), ("reason", "bcrypt budget spent"))
            return .throttled
        }
        let matches = Bcrypt.verify(password: password, hash: hash) && users[user] != nil
        if matches {
            remember(key, in: accepted)
            return .accepted
        }
        remember(key, in: rejected)
        logFailure(user: user)
        return .rejected
    }

    private func logFailure(user: String) {
        logger.debug("basic auth failed", ("user", user),
                     ("reason", users[user] == nil ? "unknown user" : "wrong password"))
    }

    private func remember(_ key: [UInt8], in cache: borrowing Mutex<Set<[UInt8]>>) {
        cache.withLock { keys in
            if keys.count >= Self.cacheLimit { keys.removeAll() }
            keys.insert(key)
        }
    }

    /// SHA-256 over the three fields, each followed by a NUL, which none of them can contain.
    static func cacheKey(user: String, password: String, hash: String) -> [UInt8] {
        let material = Array(user.utf8) + [0] + Array(password.utf8) + [0] + Array(hash.utf8) + [0]
        return SHA256.hash(material)
    }

    /// Splits `Basic base64(user:password)` (RFC 7617); the password may contain colons, the user may not.
    static func credentials(_ header: String?) -> (user: String, password: String)? {
        guard let header else { return nil }
        let parts = header.trimmingSpaces().split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Base64.decode(parts[1].trimmingSpaces()),
              let text = String(validating: decoded, as: UTF8.self),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
