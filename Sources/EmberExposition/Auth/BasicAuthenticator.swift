import COpenSSL
import EmberCore
import Synchronization

/// Checks `Authorization: Basic` against the bcrypt hashes of `basic_auth_users` before any route runs.
///
/// A bcrypt at cost 10 takes tens of milliseconds, too slow for every scrape. So the outcome for each
/// (user, password, hash) triple is remembered by its SHA-256 digest, and the password itself is
/// never stored. exporter-toolkit (web/internal/authentication/basicauth) caches outcomes, failures
/// included, in the same way.
public final class BasicAuthenticator: Sendable {
    /// Maximum number of remembered outcomes; the cache is emptied when full. A few users with one
    /// password each stay far below it.
    static let cacheLimit = 256

    private let users: [String: String]
    /// A hash of a fixed password at the users' highest cost, checked for unknown users so their
    /// rejection costs as long as a wrong password does and timing does not reveal which user names exist.
    private let decoyHash: String
    /// Outcomes of earlier verifications by ``cacheKey(user:password:hash:)``.
    private let verifications = Mutex<[[UInt8]: Bool]>([:])
    private let logger: Logger

    public init(users: [String: String], logger: Logger) {
        self.users = users
        self.logger = logger
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
            self.isAuthorized(request) ? handler(request) : Self.unauthorized
        }
    }

    static let unauthorized = HTTPResponse.text(401, "Unauthorized", headers: [HTTPHeader("WWW-Authenticate", "Basic")])

    // NOTE: bcrypt runs on the event loop thread, so each new (user, password) pair stalls every
    // connection for one bcrypt. At cost 10 that took 185-210 ms on a loaded 2-vCPU x86-64 VM
    // (BENCHMARKS.md); a board's cores are not measured yet.
    func isAuthorized(_ request: HTTPRequest) -> Bool {
        guard let (user, password) = Self.credentials(request.header("authorization")) else {
            logger.debug("basic auth failed", ("reason", "missing or malformed Authorization header"),
                         ("path", request.path))
            return false
        }

        // Unknown users are checked against the decoy hash, so their rejection takes as long as a wrong
        // password's and the response time does not reveal which users exist.
        let hash = users[user] ?? decoyHash
        let key = Self.cacheKey(user: user, password: password, hash: hash)
        let accepted = verifications.withLock { $0[key] } ?? verify(key: key, password: password, hash: hash,
                                                                   isKnownUser: users[user] != nil)
        if !accepted {
            logger.debug("basic auth failed", ("user", user),
                         ("reason", users[user] == nil ? "unknown user" : "wrong password"))
        }
        return accepted
    }

    /// Runs bcrypt and caches the outcome, failures included, so a scraper with a stale password costs
    /// one bcrypt rather than one per scrape.
    private func verify(key: [UInt8], password: String, hash: String, isKnownUser: Bool) -> Bool {
        let accepted = Bcrypt.verify(password: password, hash: hash) && isKnownUser
        verifications.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[key] = accepted
        }
        return accepted
    }

    /// SHA-256 over the three fields, each followed by a NUL, which none of them can contain.
    static func cacheKey(user: String, password: String, hash: String) -> [UInt8] {
        let material = Array(user.utf8) + [0] + Array(password.utf8) + [0] + Array(hash.utf8) + [0]
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        material.withUnsafeBufferPointer { input in
            _ = SHA256(input.baseAddress, input.count, &digest)
        }
        return digest
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

/// Standard base64 (RFC 4648, with padding) decoding, because Sources avoid Foundation.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Returns nil for a length that is not a multiple of 4, a character outside the alphabet or
    /// misplaced padding.
    static func decode(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else { return nil }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return nil }

        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 4 * 3)
        var accumulator: UInt32 = 0
        for (index, byte) in bytes.dropLast(padding).enumerated() {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            if index % 4 == 3 {
                output += [UInt8(accumulator >> 16 & 0xFF), UInt8(accumulator >> 8 & 0xFF), UInt8(accumulator & 0xFF)]
                accumulator = 0
            }
        }
        switch padding {
        case 1: output += [UInt8(accumulator >> 10 & 0xFF), UInt8(accumulator >> 2 & 0xFF)]
        case 2: output += [UInt8(accumulator >> 4 & 0xFF)]
        default: break
        }
        return output
    }
}
