import EmberTestSupport
import Foundation
import XCTest

/// The whole exposition on each RK3588 fixture tree against a committed golden file.
///
/// Families whose values depend on the run (the agent's own CPU, memory, timings and timestamps)
/// are filtered out before comparing. Set `UPDATE_GOLDEN=1` to rewrite the golden files after
/// an intended change, then review the diff.
final class GoldenOutputTests: XCTestCase {
    /// Families that change from run to run.
    static let volatileFamilies: Set<String> = [
        "ember_build_info", "ember_process_cpu_seconds_total", "ember_process_resident_memory_bytes",
        "ember_process_open_fds", "ember_process_start_time_seconds", "ember_last_sample_timestamp_seconds",
        "ember_sample_duration_seconds", "ember_collector_duration_seconds",
    ]

    func testOrangePi5PlusVendor510() throws {
        try check("rk3588/opi5plus-v5.10", golden: "opi5plus-v5.10.prom")
    }

    func testOrangePi5PlusVendor61() throws {
        try check("rk3588/opi5plus-v6.1", golden: "opi5plus-v6.1.prom")
    }

    func testOrangePi5PlusMainline() throws {
        try check("rk3588/opi5plus-mainline", golden: "opi5plus-mainline.prom")
    }

    private func check(_ fixture: String, golden: String) throws {
        let output = Self.stable(try AgentHarness.exposition(roots: Fixtures.roots(fixture)))
        let path = Fixtures.directory + "/golden/" + golden

        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                atPath: Fixtures.directory + "/golden", withIntermediateDirectories: true)
            try output.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertGreaterThan(expected.count, 1000, "golden file \(golden) is suspiciously short")
        guard output != expected else { return }

        let expectedLines = expected.split(separator: "\n")
        let outputLines = output.split(separator: "\n")
        let missing = expectedLines.filter { !outputLines.contains($0) }.prefix(10)
        let extra = outputLines.filter { !expectedLines.contains($0) }.prefix(10)
        XCTFail("""
            \(fixture) differs from \(golden) (rerun with UPDATE_GOLDEN=1 if intended)
            missing:
            \(missing.joined(separator: "\n"))
            unexpected:
            \(extra.joined(separator: "\n"))
            """)
    }

    /// Drops the HELP, TYPE and sample lines of volatile families.
    static func stable(_ exposition: String) -> String {
        let lines = exposition.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let family: Substring
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                family = line.dropFirst(7).prefix { $0 != " " }
            } else {
                family = line.prefix { $0 != "{" && $0 != " " }
            }
            return !volatileFamilies.contains(String(family))
        }
        return lines.joined(separator: "\n")
    }
}
