import EmberCore
import XCTest

@testable import EmberExposition

final class RequestRateLimiterTests: XCTestCase {
    func testBurstThenOnePerInterval() {
        let clock = ManualClock()
        let limiter = RequestRateLimiter(RateLimit(intervalNanoseconds: 500_000_000, burst: 3), clock: clock)
        let handler = limiter.limiting { _ in .text(200, "ok") }
        let request = HTTPRequest(method: "GET", target: "/metrics")

        let burst = (0..<4).map { _ in handler(request).status }
        XCTAssertEqual(burst, [200, 200, 200, 429])

        clock.advance(nanoseconds: 499_999_999)
        XCTAssertEqual(handler(request).status, 429)
        clock.advance(nanoseconds: 1)
        XCTAssertEqual(handler(request).status, 200)
        XCTAssertEqual(handler(request).status, 429)
    }

    func testLimitedResponseSaysTooManyRequests() {
        let limiter = RequestRateLimiter(RateLimit(intervalNanoseconds: 1_000_000_000, burst: 1), clock: ManualClock())
        let handler = limiter.limiting { _ in .text(200, "ok") }
        _ = handler(HTTPRequest(method: "GET", target: "/"))

        let response = handler(HTTPRequest(method: "GET", target: "/"))

        XCTAssertEqual(response.status, 429)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), "Too Many Requests\n")
    }
}
