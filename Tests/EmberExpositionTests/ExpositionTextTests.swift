import EmberCore
import XCTest

@testable import EmberExposition

/// The text of a snapshot is rendered at publish only while scrapers request it, and otherwise at the
/// first request, with the same bytes.
final class ExpositionTextTests: XCTestCase {
    private let gauge = MetricDescriptor("ember_x", "X.", labels: ["a"])
    private let counter = MetricDescriptor("ember_y_total", "Y.", type: .counter)

    private func samples(_ values: [Double], labels: [String] = ["p", "q", "r"]) -> [Sample] {
        zip(values, labels).map { Sample(gauge, $0, labelValues: [$1]) } + [Sample(counter, values[0] * 10, labelValues: [])]
    }

    /// Returns the text that a cache which saw only `samples` serves, rendered from scratch.
    private func freshText(_ samples: [Sample]) throws -> [UInt8] {
        let cache = ExpositionCache()
        cache.publish(samples: samples, sequence: 1, wallTime: 0)
        return try XCTUnwrap(cache.body(for: .prometheusText, gzip: false)).bytes
    }

    private func text(_ cache: ExpositionCache) throws -> [UInt8] {
        try XCTUnwrap(cache.body(for: .prometheusText, gzip: false)).bytes
    }

    func testFirstSnapshotRendersAtPublish() {
        let cache = ExpositionCache()
        cache.publish(samples: samples([1, 2, 3]), sequence: 1, wallTime: 0)

        XCTAssertEqual(cache.isLatestTextRendered, true)
    }

    func testUnrequestedSnapshotDefersItsText() throws {
        let cache = ExpositionCache()
        cache.publish(samples: samples([1, 2, 3]), sequence: 1, wallTime: 0)
        cache.publish(samples: samples([4, 5, 6]), sequence: 2, wallTime: 1)

        XCTAssertEqual(cache.isLatestTextRendered, false)
        XCTAssertEqual(try text(cache), try freshText(samples([4, 5, 6])))
        XCTAssertEqual(cache.isLatestTextRendered, true)
    }

    /// Two requested snapshots in a row make the next render at publish, and one unrequested
    /// snapshot stops it again.
    func testRequestStreakSwitchesRenderingAtPublish() throws {
        let cache = ExpositionCache()
        var rendered: [Bool] = []
        let requests = [true, true, false, true, true, true]
        for (index, requested) in requests.enumerated() {
            cache.publish(samples: samples([Double(index), 2, 3]), sequence: UInt64(index + 1), wallTime: 0)
            rendered.append(try XCTUnwrap(cache.isLatestTextRendered))
            if requested {
                _ = try text(cache)
            }
        }

        // The first renders as the first snapshot, the second and third follow requested ones
        // (the first counts as a streak), the fourth follows an unrequested one, the fifth one
        // request, the sixth two.
        XCTAssertEqual(rendered, [true, true, true, false, false, true])
    }

    /// Deferred texts patch from the last rendered one across snapshots that no scrape requested, and a
    /// snapshot with other series is encoded from scratch.
    func testDeferredTextsMatchFreshRendering() throws {
        let cache = ExpositionCache()
        cache.publish(samples: samples([1, 2, 3]), sequence: 1, wallTime: 0)
        cache.publish(samples: samples([1, 20, 3]), sequence: 2, wallTime: 1)
        cache.publish(samples: samples([100, 20, 0.5]), sequence: 3, wallTime: 2)

        XCTAssertEqual(try text(cache), try freshText(samples([100, 20, 0.5])))

        cache.publish(samples: samples([7, 8], labels: ["p", "s"]), sequence: 4, wallTime: 3)
        cache.publish(samples: samples([7, 9], labels: ["p", "s"]), sequence: 5, wallTime: 4)

        XCTAssertEqual(cache.isLatestTextRendered, false)
        XCTAssertEqual(try text(cache), try freshText(samples([7, 9], labels: ["p", "s"])))
    }

    /// OpenMetrics is encoded from the plan, so a scraper that requests only OpenMetrics leaves the text unrendered.
    func testOpenMetricsScrapeLeavesTextDeferred() throws {
        let cache = ExpositionCache()
        cache.publish(samples: samples([1, 2, 3]), sequence: 1, wallTime: 0)
        cache.publish(samples: samples([4, 5, 6]), sequence: 2, wallTime: 1)

        let body = try XCTUnwrap(cache.body(for: .openMetrics, gzip: true))

        XCTAssertEqual(body.contentEncoding, "gzip")
        XCTAssertEqual(cache.isLatestTextRendered, false)
    }
}
