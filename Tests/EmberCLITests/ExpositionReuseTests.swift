import EmberCore
import EmberTestSupport
import XCTest

@testable import EmberCLI
@testable import EmberExposition

/// The exposition cache reuses the last plan while the agent's series stay the same. These tests run the
/// real collectors on fixture trees and check that the reuse happens and that its output is exact.
final class ExpositionReuseTests: XCTestCase {
    private func makeAgent(_ fixture: String) throws -> Agent {
        let roots = Fixtures.roots(fixture)
        let options = try EmberMain.options([
            "--path.sysfs=\(roots.sysfs)", "--path.procfs=\(roots.procfs)", "--path.debugfs=\(roots.debugfs)",
            "--no-storage", "--sample.interval=2s",
        ])
        return try Agent(options, logger: Logger(level: .error, sink: DiscardingLogSink()))
    }

    func testFixtureCyclesReusePlan() throws {
        for fixture in ["rk3588/opi5plus-mainline", "node-exporter"] {
            let agent = try makeAgent(fixture)
            let first = agent.process(agent.sampler.sampleOnce())
            let second = agent.process(agent.sampler.sampleOnce())
            let third = agent.process(agent.sampler.sampleOnce())

            let plan = ExpositionPlan(samples: second.samples)
            XCTAssertNotNil(plan.reused(for: third.samples), "\(fixture): series changed between cycles")
            XCTAssertGreaterThan(first.samples.count, 100, fixture)
        }
    }

    func testPublishedTextMatchesEncoder() throws {
        let agent = try makeAgent("rk3588/opi5plus-mainline")
        let cache = ExpositionCache()

        for _ in 0..<4 {
            let snapshot = agent.process(agent.sampler.sampleOnce())
            cache.publish(snapshot)

            let body = try XCTUnwrap(cache.body(for: .prometheusText, gzip: false))
            let expected = PrometheusTextEncoder.encode(snapshot.samples).bytes
            XCTAssertEqual(String(decoding: body.bytes, as: UTF8.self), String(decoding: expected, as: UTF8.self))
        }
    }
}
