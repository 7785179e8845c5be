import EmberCore
import Foundation
import XCTest

@testable import EmberHistory

/// State files that made the FuzzStateFile target (Fuzzing/) crash or time out, kept in
/// Tests/Fixtures/fuzz.
final class StateFileFuzzRegressionTests: XCTestCase {
    private func fuzzInput(_ name: String) throws -> [UInt8] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let path = directory.appendingPathComponent("Fixtures/fuzz/\(name)").path
        return try XCTUnwrap(FileManager.default.contents(atPath: path).map(Array.init), "missing \(path)")
    }

    /// The minute tier's energy chunk claims to end at bucket Int64.max, which used to trap on
    /// `last + 1` while the history was restored at start.
    ///
    /// The fuzzer found this in a format version 1 file. Loading version 1 re-encodes every chunk
    /// from its points, which replaces the claimed end, so the claim is put back into the
    /// current format here, as a corrupt version 2 file would carry it.
    func testChunkEndingAtInt64MaxIsSkipped() throws {
        let original = try StateFileFormat.decode(try fuzzInput("state-chunk-ends-at-int64-max.state"))
        var state = original
        state.tiers = original.tiers.map { tier in
            guard tier.name == "minute" else { return tier }
            return PersistedState.Tier(
                name: tier.name, widthSeconds: tier.widthSeconds,
                series: tier.series.map(claimingEndAtInt64Max(ifKey: "ember_cpu_energy_joules_total\u{1}big0")))
        }
        let reloaded = try StateFileFormat.decode(StateFileFormat.encode(state))
        let history = History(HistoryConfiguration())

        let problems = history.restore(reloaded.tiers)

        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems.first?.contains("the largest Int64") ?? false, "\(problems)")
        XCTAssertEqual(history.minute.bucketCount(of: "ember_cpu_energy_joules_total\u{1}big0"), 0)
        XCTAssertGreaterThan(history.minute.bucketCount(of: "node_thermal_zone_temp\u{1}soc-thermal\u{1}0"), 0)
        XCTAssertGreaterThan(history.hour.bucketCount(of: "ember_cpu_energy_joules_total\u{1}big0"), 0)
    }

    /// A chunk's point count is read from the file, and one run code encodes a run of any length in
    /// a few bits. So a chunk claiming billions of points kept the decoder busy past the fuzzer's
    /// 10 s timeout.
    func testBillionPointChunkRejected() throws {
        let file = StateFileFormat.wrap(payload: try fuzzInput("state-chunk-claims-billions-of-points.payload"))

        XCTAssertThrowsError(try StateFileFormat.decode(file)) { error in
            XCTAssertTrue("\(error)".contains("above the maximum of 1024"), "\(error)")
        }
    }

    /// The ring rejects such a chunk too, whatever its source.
    func testRingRejectsOversizedChunk() throws {
        var source = CompressedRing(capacity: 4096, fieldCount: 1)
        for time in 0..<Int64(1100) {
            source.append(time: time, values: PointValues([20]))
        }
        let sealed = try XCTUnwrap(source.chunks.first)
        let inflated = SealedChunk(bytes: sealed.bytes, count: 1025, firstTime: sealed.firstTime, lastTime: sealed.lastTime)

        XCTAssertThrowsError(try CompressedRing(capacity: 4096, fieldCount: 1, chunks: [inflated]))
        XCTAssertNoThrow(try CompressedRing(capacity: 4096, fieldCount: 1, chunks: [sealed]))
    }

    private func claimingEndAtInt64Max(ifKey key: String) -> (PersistedState.Series) -> PersistedState.Series {
        { series in
            guard series.key == key, let last = series.chunks.last else { return series }
            let claimed = SealedChunk(bytes: last.bytes, count: last.count, firstTime: last.firstTime, lastTime: .max)
            return PersistedState.Series(
                key: series.key, kind: series.kind, chunks: series.chunks.dropLast() + [claimed], open: series.open)
        }
    }
}
