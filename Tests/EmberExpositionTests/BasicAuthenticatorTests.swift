import EmberCore
import EmberTestSupport
import XCTest

@testable import EmberExposition

/// Basic auth with bcrypt hashes made at test time by the system libxcrypt.
final class BasicAuthenticatorTests: XCTestCase {
    /// Cost 4, the lowest bcrypt allows, keeps each verification to about a millisecond.
    private static let hash: String = {
        let setting = Bcrypt.makeSetting(cost: 4)!
        return Bcrypt.compute(password: "s3cret:with colon", setting: setting)!
    }()

    override func setUpWithError() throws {
        try LibxcryptLibrary.load()
    }

    private func request(authorization: String?) -> HTTPRequest {
        HTTPRequest(method: "GET", target: "/metrics",
                    headers: authorization.map { [HTTPHeader("Authorization", $0)] } ?? [])
    }

    private func basic(_ credentials: String) -> String {
        "Basic " + Data(credentials.utf8).base64EncodedString()
    }

    private func makeHandler(sink: RecordingLogSink = RecordingLogSink()) -> @Sendable (HTTPRequest) -> HTTPResponse {
        let authenticator = BasicAuthenticator(users: ["alice": Self.hash],
                                               logger: Logger(level: .debug, sink: sink))
        return authenticator.protecting { _ in .text(200, "metrics") }
    }

    func testRightPasswordPasses() {
        let response = makeHandler()(request(authorization: basic("alice:s3cret:with colon")))

        XCTAssertEqual(response.status, 200)
    }

    func testRejectionsGet401WithChallenge() {
        let handler = makeHandler()
        let cases: [String?] = [
            nil, basic("alice:wrong"), basic("bob:s3cret:with colon"), basic("alice"), "Basic !!!!",
            "Bearer abc", basic("Alice:s3cret:with colon"),
        ]
        for authorization in cases {
            let response = handler(request(authorization: authorization))
            XCTAssertEqual(response.status, 401, String(describing: authorization))
            XCTAssertEqual(response.headers.first { $0.name == "WWW-Authenticate" }?.value, "Basic")
        }
    }

    func testFailureLoggedWithoutPassword() {
        let sink = RecordingLogSink()
        _ = makeHandler(sink: sink)(request(authorization: basic("alice:wrong-password-text")))

        let lines = sink.lines
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains("level=debug"), lines[0])
        XCTAssertTrue(lines[0].contains("user=alice"), lines[0])
        XCTAssertTrue(lines[0].contains("reason=\"wrong password\""), lines[0])
        XCTAssertFalse(lines[0].contains("wrong-password-text"), lines[0])
    }

    func testVerificationIsCached() throws {
        let costly = try XCTUnwrap(Bcrypt.compute(password: "pw", setting: try XCTUnwrap(Bcrypt.makeSetting(cost: 12))))
        let authenticator = BasicAuthenticator(users: ["alice": costly], logger: Logger(level: .error))
        let good = request(authorization: basic("alice:pw"))

        let first = ContinuousClock().measure { XCTAssertEqual(authenticator.decide(good), .accepted) }
        let second = ContinuousClock().measure { XCTAssertEqual(authenticator.decide(good), .accepted) }

        // Cost 12 is 4096 rounds, tens of milliseconds or more on any machine; a cache hit is one SHA-256.
        XCTAssertGreaterThan(first, .milliseconds(10))
        XCTAssertLessThan(second, .milliseconds(5))
    }

    /// A scraper with a stale password must not cost a bcrypt per scrape.
    func testRejectionIsCached() throws {
        let costly = try XCTUnwrap(Bcrypt.compute(password: "pw", setting: try XCTUnwrap(Bcrypt.makeSetting(cost: 12))))
        let authenticator = BasicAuthenticator(users: ["alice": costly], logger: Logger(level: .error))
        let stale = request(authorization: basic("alice:old"))
        let unknown = request(authorization: basic("mallory:pw"))

        for wrong in [stale, unknown] {
            let first = ContinuousClock().measure { XCTAssertEqual(authenticator.decide(wrong), .rejected) }
            let second = ContinuousClock().measure { XCTAssertEqual(authenticator.decide(wrong), .rejected) }
            XCTAssertGreaterThan(first, .milliseconds(10))
            XCTAssertLessThan(second, .milliseconds(5))
        }
        XCTAssertEqual(authenticator.decide(request(authorization: basic("alice:pw"))), .accepted)
    }

    func testNewLoginsAreThrottled() throws {
        let clock = ManualClock()
        let authenticator = BasicAuthenticator(users: ["alice": Self.hash], logger: Logger(level: .error), clock: clock)
        let right = request(authorization: basic("alice:s3cret:with colon"))

        for attempt in 0..<BasicAuthenticator.loginBurst {
            XCTAssertEqual(authenticator.decide(request(authorization: basic("alice:guess\(attempt)"))), .rejected)
        }
        XCTAssertEqual(authenticator.decide(request(authorization: basic("alice:guess-more"))), .throttled)
        XCTAssertEqual(authenticator.decide(right), .throttled)
        // A cached rejection costs no bcrypt, so it needs no budget.
        XCTAssertEqual(authenticator.decide(request(authorization: basic("alice:guess0"))), .rejected)

        clock.advance(nanoseconds: BasicAuthenticator.loginInterval)
        XCTAssertEqual(authenticator.decide(right), .accepted)
        XCTAssertEqual(authenticator.decide(request(authorization: basic("alice:guess-more"))), .throttled)
        XCTAssertEqual(authenticator.decide(right), .accepted)
    }

    func testThrottledResponseIs429() {
        let authenticator = BasicAuthenticator(users: ["alice": Self.hash], logger: Logger(level: .error),
                                               clock: ManualClock())
        let handler = authenticator.protecting { _ in .text(200, "metrics") }
        for attempt in 0..<BasicAuthenticator.loginBurst {
            XCTAssertEqual(handler(request(authorization: basic("alice:guess\(attempt)"))).status, 401)
        }

        let response = handler(request(authorization: basic("alice:one-more")))

        XCTAssertEqual(response.status, 429)
        XCTAssertEqual(response.headers.first { $0.name == "Retry-After" }?.value, "1")
    }

    /// Wrong passwords fill their own cache, so they cannot evict a scraper's accepted login.
    func testRejectionsDoNotEvictAcceptedLogin() {
        let clock = ManualClock()
        let authenticator = BasicAuthenticator(users: ["alice": Self.hash], logger: Logger(level: .error), clock: clock)
        let right = request(authorization: basic("alice:s3cret:with colon"))
        XCTAssertEqual(authenticator.decide(right), .accepted)

        for attempt in 0..<(BasicAuthenticator.cacheLimit + 10) {
            clock.advance(nanoseconds: BasicAuthenticator.loginInterval)
            XCTAssertEqual(authenticator.decide(request(authorization: basic("alice:guess\(attempt)"))), .rejected)
        }
        for attempt in 0..<BasicAuthenticator.loginBurst {
            _ = authenticator.decide(request(authorization: basic("alice:burst\(attempt)")))
        }

        XCTAssertEqual(authenticator.decide(right), .accepted)
    }

    func testBucketRefillsOneTokenPerInterval() {
        var budget = TokenBucket(capacity: BasicAuthenticator.loginBurst, interval: BasicAuthenticator.loginInterval,
                                 now: 0)
        for _ in 0..<BasicAuthenticator.loginBurst {
            XCTAssertTrue(budget.spend(now: 0))
        }
        XCTAssertFalse(budget.spend(now: 0))
        XCTAssertFalse(budget.spend(now: BasicAuthenticator.loginInterval - 1))
        XCTAssertTrue(budget.spend(now: BasicAuthenticator.loginInterval))
        XCTAssertFalse(budget.spend(now: BasicAuthenticator.loginInterval + 1))
        // A long quiet time refills to the capacity, not beyond.
        let later = 100 * BasicAuthenticator.loginInterval
        for _ in 0..<BasicAuthenticator.loginBurst {
            XCTAssertTrue(budget.spend(now: later))
        }
        XCTAssertFalse(budget.spend(now: later))
    }

    func testBcryptAcceptsGoAndHtpasswdPrefixes() throws {
        // The same salt and digest under the three prefixes; libxcrypt treats $2a$, $2b$ and $2y$ alike
        // for passwords shorter than 255 bytes.
        let hash = try XCTUnwrap(Bcrypt.compute(password: "pw", setting: try XCTUnwrap(Bcrypt.makeSetting(cost: 4))))
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let variant = prefix + hash.dropFirst(4)
            XCTAssertTrue(Bcrypt.isHash(variant))
            XCTAssertTrue(Bcrypt.verify(password: "pw", hash: variant), prefix)
            XCTAssertFalse(Bcrypt.verify(password: "pW", hash: variant), prefix)
        }
        XCTAssertFalse(Bcrypt.isHash("$1$salt$digest"))
        XCTAssertFalse(Bcrypt.verify(password: "p\0w", hash: hash))
    }

    func testBase64Decoding() {
        XCTAssertEqual(Base64.decode("YWxpY2U6cHc="), Array("alice:pw".utf8))
        XCTAssertEqual(Base64.decode("YWI="), Array("ab".utf8))
        XCTAssertEqual(Base64.decode("YQ=="), Array("a".utf8))
        XCTAssertEqual(Base64.decode(""), [])
        XCTAssertNil(Base64.decode("YWI"))
        XCTAssertNil(Base64.decode("Y===") )
        XCTAssertNil(Base64.decode("YW-="))
    }

    func testConstantTimeEqual() {
        XCTAssertTrue(Bcrypt.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(Bcrypt.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(Bcrypt.constantTimeEqual([1, 2], [1, 2, 3]))
    }
}

/// A clock that moves only when a test advances it.
final class ManualClock: Clock, @unchecked Sendable {
    private var nanoseconds: UInt64 = 1_000_000_000

    func advance(nanoseconds step: UInt64) {
        nanoseconds += step
    }

    func monotonicNanoseconds() -> UInt64 { nanoseconds }
    func wallSeconds() -> Double { Double(nanoseconds) / 1e9 }
}
