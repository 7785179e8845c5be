import EmberCore
import EmberExposition
import EmberTestSupport
import Synchronization
import XCTest

@testable import EmberCLI

/// `/healthz` against a clock the test moves: it returns 200 only while the last published sample
/// is at most three intervals old.
final class RoutesTests: XCTestCase {
    func testHealthBeforeFirstSample() throws {
        let clock = ManualClock()
        let cache = ExpositionCache(clock: clock)

        let response = Routes.health(cache: cache, options: try EmberMain.options([]), clock: clock)

        XCTAssertEqual(response.status, 503)
        XCTAssertTrue(body(response).hasPrefix("starting"), body(response))
    }

    func testHealthWhileSamplesAreFresh() throws {
        let response = try health(secondsAfterSample: 0.6, interval: "200ms")

        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(body(response).hasPrefix("ok: sample 7"), body(response))
    }

    func testHealthFailsOnceSamplesAreStale() throws {
        let response = try health(secondsAfterSample: 0.61, interval: "200ms")

        XCTAssertEqual(response.status, 503)
        XCTAssertTrue(body(response).hasPrefix("stale"), body(response))
    }

    func testHealthRecoversWithNextSample() throws {
        let clock = ManualClock()
        let cache = ExpositionCache(clock: clock)
        let options = try EmberMain.options([])
        cache.publish(samples: [], sequence: 1, wallTime: 0)
        clock.advance(seconds: 10)
        XCTAssertEqual(Routes.health(cache: cache, options: options, clock: clock).status, 503)

        cache.publish(samples: [], sequence: 2, wallTime: 10)

        XCTAssertEqual(Routes.health(cache: cache, options: options, clock: clock).status, 200)
    }

    func testLandingPageLinksEndpoints() throws {
        let response = Routes.landingPage(try EmberMain.options([]))

        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(body(response).contains("<a href=\"/metrics\">"))
        XCTAssertTrue(body(response).contains("<a href=\"/healthz\">"))
    }

    func testAgentServesHistoryAPI() throws {
        let roots = Fixtures.roots("rk3588/opi5plus-mainline")
        let options = try EmberMain.options([
            "--path.sysfs=\(roots.sysfs)", "--path.procfs=\(roots.procfs)", "--path.debugfs=\(roots.debugfs)",
            "--no-storage",
        ])
        let agent = try Agent(options, logger: Logger(level: .error, sink: RecordingLogSink()))
        let cache = ExpositionCache()
        cache.publish(agent.process(agent.sampler.sampleOnce()))
        let router = Routes.router(cache: cache, history: agent.history, options: options)
        let zone = "node_thermal_zone_temp%7Bzone%3D%220%22%2Ctype%3D%22package-thermal%22%7D"

        let series = router.handle(HTTPRequest(method: "GET", target: "/api/v1/series"))
        let query = router.handle(HTTPRequest(method: "GET", target: "/api/v1/query?series=\(zone)&tier=minute"))
        let invalid = router.handle(HTTPRequest(method: "GET", target: "/api/v1/query?series=\(zone)&tier=day"))
        let metrics = router.handle(HTTPRequest(method: "GET", target: "/metrics"))

        XCTAssertEqual(series.status, 200)
        XCTAssertTrue(body(series).contains(#""id":"ember_devfreq_frequency_hertz{device=\"fb000000.gpu\"}""#))
        XCTAssertEqual(query.status, 200, body(query))
        XCTAssertTrue(body(query).contains(#""count":1}"#), body(query))
        XCTAssertEqual(invalid.status, 400)
        XCTAssertTrue(body(invalid).contains("invalid parameter tier"), body(invalid))
        XCTAssertTrue(body(metrics).contains(#"ember_devfreq_frequency_window_max_hertz{device="fb000000.gpu",window="1m"}"#))
    }

    /// Publishes sample 7, moves the clock on by `secondsAfterSample` and returns `/healthz`.
    private func health(secondsAfterSample: Double, interval: String) throws -> HTTPResponse {
        let clock = ManualClock()
        let cache = ExpositionCache(clock: clock)
        let options = try EmberMain.options(["--sample.interval=" + interval])
        cache.publish(samples: [], sequence: 7, wallTime: 0)

        clock.advance(seconds: secondsAfterSample)
        return Routes.health(cache: cache, options: options, clock: clock)
    }

    private func body(_ response: HTTPResponse) -> String {
        String(decoding: response.body, as: UTF8.self)
    }
}

/// A monotonic clock that moves only when the test advances it.
private final class ManualClock: Clock {
    private let nanoseconds = Mutex<UInt64>(1_000_000_000)

    func monotonicNanoseconds() -> UInt64 {
        nanoseconds.withLock { $0 }
    }

    func wallSeconds() -> Double {
        Double(monotonicNanoseconds()) / 1e9
    }

    func advance(seconds: Double) {
        nanoseconds.withLock { $0 += UInt64(seconds * 1e9) }
    }
}
