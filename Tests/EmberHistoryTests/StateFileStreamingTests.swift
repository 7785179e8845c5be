import EmberCore
import Foundation
import XCTest

@testable import EmberHistory

/// The state file written through a small buffer must be the same bytes as the file encoded in memory.
final class StateFileStreamingTests: XCTestCase {
    /// Returns a state larger than several buffers, with one chunk larger than the buffer itself.
    private func largeState() -> PersistedState {
        var counters: [String: SavedCounter] = [:]
        for index in 0..<3000 {
            counters["ember_network_receive_bytes_total\u{1}eth\(index)"] =
                SavedCounter(total: UInt64(index) * 1_000_003, raw: UInt64(index), bootID: "boot-1")
        }
        let bigChunk = SealedChunk(
            bytes: (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }[...], count: 900, firstTime: 10, lastTime: 909)
        let smallChunk = SealedChunk(bytes: [1, 2, 3, 4, 5], count: 3, firstTime: 910, lastTime: 912)
        let series = PersistedState.Series(
            key: "node_thermal_zone_temp\u{1}soc\u{1}0", kind: .gauge, chunks: [bigChunk, smallChunk],
            open: (913, PointValues([40, 41, 81, 41, 2])))
        let tier = PersistedState.Tier(name: "minute", widthSeconds: 60, series: [series])
        return PersistedState(
            machineID: "0123456789abcdef", bootID: "boot-1", savedAtSeconds: 1_800_000_000.25,
            counters: counters, families: [], tiers: [tier])
    }

    private func temporaryPath() -> String {
        NSTemporaryDirectory() + "ember-state-stream-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    func testStreamedFileEqualsEncodedFile() throws {
        let state = largeState()
        let path = temporaryPath()
        defer { unlink(path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(descriptor, 0)

        try StateFileFormat.write(state, to: descriptor, path: path)
        close(descriptor)

        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let encoded = StateFileFormat.encode(state)
        XCTAssertGreaterThan(encoded.count, 4 * FileByteSink.bufferSize)
        XCTAssertEqual(written.count, encoded.count)
        XCTAssertTrue(written == encoded)
        XCTAssertEqual(try StateFileFormat.decode(written).counters.count, 3000)
    }

    func testSaveThroughStoreReplacesFile() throws {
        let directory = temporaryPath()
        XCTAssertEqual(mkdir(directory, 0o700), 0)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory, fileName: StateStore.fileName)
        try store.save([9, 9, 9])

        try store.save { descriptor, temporary throws(FileError) in
            try StateFileFormat.write(largeState(), to: descriptor, path: temporary)
        }

        let loaded = try XCTUnwrap(try store.load())
        XCTAssertEqual(try StateFileFormat.decode(loaded).tiers.first?.series.first?.chunks.count, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path + ".tmp"))
    }

    /// /dev/full fails every write with ENOSPC, as a full SD card does.
    func testFailedWriteIsThrownWithItsError() {
        let descriptor = open("/dev/full", O_WRONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }

        XCTAssertThrowsError(try StateFileFormat.write(largeState(), to: descriptor, path: "/dev/full")) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOSPC)
            XCTAssertEqual((error as? FileError)?.path, "/dev/full")
        }
    }
}
