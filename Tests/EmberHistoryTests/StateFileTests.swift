import EmberCore
import XCTest

@testable import EmberHistory

final class StateFileTests: XCTestCase {
    private func sampleState() -> PersistedState {
        let history = History(HistoryConfiguration())
        let temperature = MetricDescriptor("node_thermal_zone_temp", "t", labels: ["type", "zone"])
        let bytes = MetricDescriptor("ember_network_receive_bytes_total", "b", type: .counter, labels: ["device"])
        for second in 0..<200 {
            history.record(Snapshot(
                sequence: UInt64(second + 1), wallTime: 1_800_000_000 + Double(second),
                monotonicNanoseconds: UInt64(second) * 1_000_000_000,
                samples: [Sample(temperature, 40 + Double(second % 7) / 8, labelValues: ["soc", "0"]),
                          Sample(bytes, Double(second * 1500), labelValues: ["eth0"])],
                collectors: []))
        }
        return PersistedState(
            machineID: "0123456789abcdef", bootID: "boot-1", savedAtSeconds: 1_800_000_200.5,
            counters: ["ember_network_receive_bytes_total\u{1}eth0": SavedCounter(total: 5_000_000_000, raw: 705_032_704,
                                                                                  bootID: "boot-1")],
            families: history.persistedFamilies, tiers: history.persistedTiers)
    }

    func testRoundTripRestoresStateAndTiers() throws {
        let state = sampleState()

        let decoded = try StateFileFormat.decode(StateFileFormat.encode(state))

        XCTAssertEqual(decoded.machineID, state.machineID)
        XCTAssertEqual(decoded.bootID, state.bootID)
        XCTAssertEqual(decoded.savedAtSeconds, state.savedAtSeconds)
        XCTAssertEqual(decoded.counters, state.counters)
        XCTAssertEqual(decoded.families.map(\.name).sorted(), state.families.map(\.name).sorted())
        XCTAssertEqual(decoded.tiers.map(\.name), ["minute", "hour", "hour-max"])
        let restored = History(HistoryConfiguration())
        restored.restore(decoded.families)
        XCTAssertEqual(restored.restore(decoded.tiers), [])
        XCTAssertEqual(restored.minute.bucketCount(of: "node_thermal_zone_temp\u{1}soc\u{1}0"), 4)
        XCTAssertEqual(restored.families["ember_network_receive_bytes_total"]?.type, .counter)
    }

    func testEveryTruncationIsRejected() {
        let bytes = StateFileFormat.encode(sampleState())

        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 300)) {
            XCTAssertThrowsError(try StateFileFormat.decode(Array(bytes.prefix(length))), "length \(length)")
        }
    }

    func testFileCutInHeaderIsTruncated() {
        let bytes = StateFileFormat.encode(sampleState())

        for length in [0, 5, 8, 23] {
            XCTAssertThrowsError(try StateFileFormat.decode(Array(bytes.prefix(length)))) { error in
                XCTAssertEqual(
                    error as? StateFileError,
                    .corrupt("truncated to \(length) bytes, shorter than the 24-byte header"), "length \(length)")
            }
        }
    }

    func testFlippedBitFailsChecksum() {
        var bytes = StateFileFormat.encode(sampleState())
        bytes[bytes.count / 2] ^= 0x10

        XCTAssertThrowsError(try StateFileFormat.decode(bytes)) { error in
            XCTAssertEqual(error as? StateFileError, .checksumMismatch)
        }
    }

    func testFutureVersionIsRejected() {
        var bytes = StateFileFormat.encode(sampleState())
        bytes[8] = UInt8(StateFileFormat.version + 1)

        XCTAssertThrowsError(try StateFileFormat.decode(bytes)) { error in
            XCTAssertEqual(error as? StateFileError, .unsupportedVersion(StateFileFormat.version + 1))
        }
    }

    func testWrongMagicIsRejected() {
        var bytes = StateFileFormat.encode(sampleState())
        bytes[0] = UInt8(ascii: "X")

        XCTAssertThrowsError(try StateFileFormat.decode(bytes)) { error in
            XCTAssertEqual(error as? StateFileError, .notStateFile)
        }
    }

    func testCRC32MatchesZlib() {
        // The standard check value of CRC-32/ISO-HDLC, which zlib's crc32 computes.
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)[...]), 0xCBF4_3926)
    }

    func testStoreSavesAtomicallyAndMovesAside() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ember-store-\(getpid())-\(#line)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory + "/nested/state")
        try store.prepare()
        XCTAssertNil(try store.load())

        try store.save([1, 2, 3])
        try store.save([4, 5])

        XCTAssertEqual(try store.load(), [4, 5])
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path + ".tmp"))
        let moved = try store.moveAside(nowSeconds: 1_800_000_000)
        XCTAssertEqual(moved, store.path + ".corrupt-1800000000")
        XCTAssertNil(try store.load())
        XCTAssertEqual(FileManager.default.contents(atPath: moved), Data([4, 5]))
    }

    func testMoveAsideDeletesOldestCopies() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ember-aside-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory)
        try store.prepare()
        for seconds in [1_800_000_001, 1_800_000_002, 1_800_000_003, 1_800_000_004] {
            FileManager.default.createFile(atPath: store.path + ".corrupt-\(seconds)", contents: Data([1]))
        }
        // Copies of another state file must survive, because this store does not own them.
        FileManager.default.createFile(atPath: directory + "/ember-hours.state.corrupt-1800000000", contents: Data())
        try store.save([7])

        _ = try store.moveAside(nowSeconds: 1_800_000_010)

        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        XCTAssertEqual(names, [
            "ember-hours.state.corrupt-1800000000", "ember.state.corrupt-1800000003",
            "ember.state.corrupt-1800000004", "ember.state.corrupt-1800000010",
        ])
    }

    func testSecondLockOnDirectoryFails() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ember-lock-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory)
        try store.prepare()

        let firstLock = try store.lock()

        XCTAssertThrowsError(try StateStore(directory: directory).lock()) { error in
            XCTAssertEqual((error as? FileError)?.code, EWOULDBLOCK)
        }
        close(firstLock)
        let secondLock = try StateStore(directory: directory).lock()
        XCTAssertGreaterThanOrEqual(secondLock, 0, "closing the descriptor releases the lock")
        close(secondLock)
    }

    func testOversizedFileIsRejectedUnread() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ember-big-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = StateStore(directory: directory)
        try store.prepare()
        // Truncating up makes a sparse file, so its size is over the limit but it takes no disk space.
        try store.save([1])
        XCTAssertEqual(truncate(store.path, off_t(StateStore.readLimit) + 1), 0)

        XCTAssertThrowsError(try store.load()) { error in
            XCTAssertEqual((error as? FileError)?.code, EFBIG)
        }
    }

    func testPrepareFailsUnderRegularFile() throws {
        // A regular file where a directory is expected fails for every user, root included.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ember-file-\(getpid())").path
        FileManager.default.createFile(atPath: file, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: file) }

        XCTAssertThrowsError(try StateStore(directory: file + "/state").prepare()) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOTDIR)
        }
    }
}
