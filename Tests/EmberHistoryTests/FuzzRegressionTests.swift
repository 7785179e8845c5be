import EmberCore
import Foundation
import XCTest

@testable import EmberHistory

/// State files that made the FuzzStateFile target (Fuzzing/) crash, kept in Tests/Fixtures/fuzz.
final class StateFileFuzzRegressionTests: XCTestCase {
    private func fuzzInput(_ name: String) throws -> [UInt8] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let path = directory.appendingPathComponent("Fixtures/fuzz/\(name)").path
        return try XCTUnwrap(FileManager.default.contents(atPath: path).map(Array.init), "missing \(path)")
    }

    /// The minute tier's energy chunk claims to end at bucket Int64.max, which used to trap on
    /// `last + 1` while the history was restored at start.
    func testChunkEndingAtInt64MaxIsSkipped() throws {
        let state = try StateFileFormat.decode(try fuzzInput("state-chunk-ends-at-int64-max.state"))
        let history = History(HistoryConfiguration())

        let problems = history.restore(state.tiers)

        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems.first?.contains("the largest Int64") ?? false, "\(problems)")
        XCTAssertEqual(history.minute.bucketCount(of: "ember_cpu_energy_joules_total\u{1}big0"), 0)
        XCTAssertGreaterThan(history.minute.bucketCount(of: "node_thermal_zone_temp\u{1}soc-thermal\u{1}0"), 0)
        XCTAssertGreaterThan(history.hour.bucketCount(of: "ember_cpu_energy_joules_total\u{1}big0"), 0)
    }
}
