import EmberCore
import Synchronization
import XCTest

@testable import EmberExposition

final class ExpositionCacheTests: XCTestCase {
    private struct FixedClock: Clock {
        let now: UInt64
        func monotonicNanoseconds() -> UInt64 { now }
        func wallSeconds() -> Double { 0 }
    }

    private let gauge = MetricDescriptor("ember_x", "X.", labels: ["a"])

    func testEmptyBeforeFirstPublish() {
        let cache = ExpositionCache()

        XCTAssertNil(cache.body(for: .prometheusText, gzip: false))
        XCTAssertNil(cache.status)
        XCTAssertEqual(cache.response(for: HTTPRequest(method: "GET", target: "/metrics")).status, 503)
    }

    func testServesEveryVariantOfLatestSnapshot() throws {
        let cache = ExpositionCache(clock: FixedClock(now: 42))
        cache.publish(samples: [Sample(gauge, 1, labelValues: ["old"])], sequence: 1, wallTime: 10)
        let report = cache.publish(samples: [Sample(gauge, 2, labelValues: ["new"]), Sample(gauge, 3, labelValues: ["new"])],
                                   sequence: 2, wallTime: 11)

        let text = try XCTUnwrap(cache.body(for: .prometheusText, gzip: false))
        let openMetrics = try XCTUnwrap(cache.body(for: .openMetrics, gzip: false))
        let gzipped = try XCTUnwrap(cache.body(for: .openMetrics, gzip: true))

        XCTAssertEqual(report.duplicateSeries, 1)
        XCTAssertEqual(string(text.bytes), "# HELP ember_x X.\n# TYPE ember_x gauge\nember_x{a=\"new\"} 2\n")
        XCTAssertEqual(text.contentType, PrometheusTextEncoder.contentType)
        XCTAssertNil(text.contentEncoding)
        XCTAssertTrue(string(openMetrics.bytes).hasSuffix("# EOF\n"))
        XCTAssertEqual(openMetrics.contentType, OpenMetricsEncoder.contentType)
        XCTAssertEqual(gzipped.contentEncoding, "gzip")
        XCTAssertEqual(Array(gzipped.bytes.prefix(2)), [0x1F, 0x8B])

        let status = try XCTUnwrap(cache.status)
        XCTAssertEqual(status.sequence, 2)
        XCTAssertEqual(status.wallTime, 11)
        XCTAssertEqual(status.publishedMonotonicNanoseconds, 42)
        XCTAssertEqual(status.seriesCount, 1)
    }

    func testLazyVariantsAreBuiltOnce() throws {
        let cache = ExpositionCache()
        cache.publish(samples: [Sample(gauge, 1, labelValues: ["x"])], sequence: 1, wallTime: 0)

        let first = try XCTUnwrap(cache.body(for: .prometheusText, gzip: true)).bytes
        let second = try XCTUnwrap(cache.body(for: .prometheusText, gzip: true)).bytes

        first.withUnsafeBufferPointer { firstBuffer in
            second.withUnsafeBufferPointer { secondBuffer in
                XCTAssertEqual(firstBuffer.baseAddress, secondBuffer.baseAddress, "same storage, not re-encoded")
            }
        }
    }

    func testConcurrentScrapesAndPublishes() {
        let cache = ExpositionCache()
        let gauge = gauge
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<200 {
                if worker == 0 {
                    cache.publish(samples: [Sample(gauge, Double(round), labelValues: ["v"])], sequence: UInt64(round),
                                  wallTime: 0)
                } else if let body = cache.body(for: worker % 2 == 0 ? .openMetrics : .prometheusText,
                                                 gzip: worker % 3 == 0), body.bytes.isEmpty {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
    }

    func testMetricsResponseNegotiates() throws {
        let cache = ExpositionCache()
        cache.publish(samples: [Sample(gauge, 1, labelValues: ["x"])], sequence: 1, wallTime: 0)
        let request = HTTPRequest(method: "GET", target: "/metrics", headers: [
            HTTPHeader("Accept", "application/openmetrics-text; version=1.0.0"), HTTPHeader("Accept-Encoding", "gzip"),
        ])

        let response = cache.response(for: request)

        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.headers.contains(HTTPHeader("Content-Type", OpenMetricsEncoder.contentType)))
        XCTAssertTrue(response.headers.contains(HTTPHeader("Content-Encoding", "gzip")))
        XCTAssertTrue(response.headers.contains(HTTPHeader("Vary", "Accept, Accept-Encoding")))
    }
}
