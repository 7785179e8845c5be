import EmberCore
import EmberHistory
import EmberTestSupport
import Foundation
import XCTest

@testable import EmberCLI

/// Saving and loading the state file through the agent, on the RK3588 mainline fixture.
final class PersistenceTests: XCTestCase {
    private var directory = ""
    private let log = RecordingLogSink()
    private let bytesKey = "ember_network_receive_bytes_total\u{1}enP4p65s0"

    override func setUp() {
        directory = NSTemporaryDirectory() + "ember-persistence-\(getpid())-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func persistence(machine: String = "machine-a", boot: String = "boot-1") throws -> Persistence {
        let store = StateStore(directory: directory)
        try store.prepare()
        return Persistence(store: store, machineID: machine, bootID: boot, flushIntervalSeconds: 300,
                           logger: Logger(level: .debug, sink: log))
    }

    private func agent(_ persistence: Persistence, fixture: String = "rk3588/opi5plus-mainline") throws -> Agent {
        let roots = Fixtures.roots(fixture)
        let options = try EmberMain.options([
            "--path.sysfs=\(roots.sysfs)", "--path.procfs=\(roots.procfs)", "--path.debugfs=\(roots.debugfs)",
        ])
        return try Agent(options, logger: Logger(level: .error, sink: log), persistence: persistence)
    }

    private func receivedBytes(_ agent: Agent) -> Double? {
        agent.process(agent.sampler.sampleOnce()).samples.first { $0.seriesKey == bytesKey }?.value
    }

    func testCountersContinueInSameBoot() throws {
        let first = try agent(try persistence())
        let kernelValue = try XCTUnwrap(receivedBytes(first))
        first.saveState()

        let second = try agent(try persistence())

        XCTAssertEqual(receivedBytes(second), kernelValue, "same boot and same raw value: nothing added")
        XCTAssertEqual(second.counters.seed(bytesKey)?.total, UInt64(kernelValue))
    }

    func testCountersAddUpAfterReboot() throws {
        let first = try agent(try persistence(boot: "boot-1"))
        let kernelValue = try XCTUnwrap(receivedBytes(first))
        first.saveState()

        let afterReboot = try agent(try persistence(boot: "boot-2"))

        XCTAssertEqual(receivedBytes(afterReboot), 2 * kernelValue, "the kernel counted again from zero")
    }

    func testTiersSurviveRestart() throws {
        let first = try agent(try persistence())
        _ = receivedBytes(first)
        first.saveState()

        let second = try agent(try persistence())

        let buckets = second.history.withHistory { $0.minute.bucketCount(of: bytesKey) }
        XCTAssertEqual(buckets, 1, "the open minute bucket is saved and resumed")
        XCTAssertEqual(log.lines(containing: "loaded saved state").count, 4, "two open-part and two chunk files")
        XCTAssertEqual(second.history.withHistory { $0.hour.bucketCount(of: bytesKey) }, 1)
    }

    func testFirstStartLogsOneLine() throws {
        _ = try agent(try persistence())

        XCTAssertEqual(log.lines(containing: "no saved state; history starts empty").count, 1)
        XCTAssertEqual(log.lines(containing: "this part of the history starts empty").count, 0)
    }

    func testMissingPartIsLoggedAlone() throws {
        let first = try agent(try persistence())
        _ = receivedBytes(first)
        first.saveState()
        try FileManager.default.removeItem(atPath: directory + "/" + StateStore.hourFileName)

        _ = try agent(try persistence())

        let missing = log.lines(containing: "no saved state; this part of the history starts empty")
        XCTAssertEqual(missing.count, 1)
        XCTAssertTrue(missing.first?.contains(StateStore.hourFileName) ?? false, "\(missing)")
        XCTAssertEqual(log.lines(containing: "no saved state; history starts empty").count, 1, "the first start only")
    }

    func testCorruptFileIsMovedAside() throws {
        let store = StateStore(directory: directory)
        try store.prepare()
        try store.save(Array("EMBERST\0 garbage".utf8))

        let started = try agent(try persistence())

        XCTAssertNotNil(receivedBytes(started))
        XCTAssertNil(try store.load())
        let moved = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".corrupt-") }
        XCTAssertEqual(moved.count, 1)
        XCTAssertEqual(log.lines(containing: "moved aside").count, 1)
    }

    func testOtherMachineStateIsMovedAside() throws {
        let first = try agent(try persistence(machine: "machine-a"))
        _ = receivedBytes(first)
        first.saveState()

        let other = try agent(try persistence(machine: "machine-b"))

        XCTAssertEqual(other.counters.seed(bytesKey)?.total, nil)
        XCTAssertEqual(log.lines(containing: "saved on machine machine-a, this is machine machine-b").count, 4,
                       "two open-part and two chunk files")
    }

    func testUnusableStorageFallsBackToMemory() throws {
        FileManager.default.createFile(atPath: directory, contents: Data())
        let options = try EmberMain.options(["--storage.path=\(directory)/state"])

        let result = StorageSetup.persistence(options, logger: Logger(level: .info, sink: log))

        XCTAssertNil(result)
        XCTAssertEqual(log.lines(containing: "history is kept in memory only").count, 1)
    }

    /// Runs `body` with the environment variables set (nil unsets one), then restores them.
    private func withEnvironment(_ values: [String: String?], _ body: () throws -> Void) rethrows {
        let saved = values.keys.map { ($0, ProcessInfo.processInfo.environment[$0]) }
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        for (name, value) in values {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
        try body()
    }

    func testUnusableDefaultFallsBackToUserDirectory() throws {
        // A regular file where the directory should be fails for every user, root included.
        FileManager.default.createFile(atPath: directory, contents: Data())
        let userState = directory + "-xdg"
        defer { try? FileManager.default.removeItem(atPath: userState) }

        try withEnvironment(["XDG_STATE_HOME": userState]) {
            let logger = Logger(level: .info, sink: log)

            let store = StorageSetup.usableStore(directory + "/state", isDefault: true, logger: logger)

            XCTAssertEqual(store?.directory, userState + "/ember")
            var isDirectory: ObjCBool = false
            XCTAssertTrue(FileManager.default.fileExists(atPath: userState + "/ember", isDirectory: &isDirectory))
            XCTAssertTrue(isDirectory.boolValue)
            XCTAssertEqual(log.lines(containing: "using a per-user directory").count, 1)
            XCTAssertEqual(log.lines(containing: "level=error").count, 0)
        }
    }

    func testUnusableRequestedPathDoesNotFallBack() throws {
        FileManager.default.createFile(atPath: directory, contents: Data())
        let userState = directory + "-xdg"
        defer { try? FileManager.default.removeItem(atPath: userState) }

        try withEnvironment(["XDG_STATE_HOME": userState]) {
            let store = StorageSetup.usableStore(
                directory + "/state", isDefault: false, logger: Logger(level: .info, sink: log))

            XCTAssertNil(store, "a path the user gave is not silently replaced")
            XCTAssertFalse(FileManager.default.fileExists(atPath: userState))
        }
    }

    func testUserDirectoryIgnoresRelativeXDGStateHome() {
        withEnvironment(["XDG_STATE_HOME": "relative/state", "HOME": "/home/ember-test"]) {
            XCTAssertEqual(StorageSetup.userStateDirectory(), "/home/ember-test/.local/state/ember")
        }
        withEnvironment(["XDG_STATE_HOME": nil, "HOME": nil]) {
            XCTAssertNil(StorageSetup.userStateDirectory())
        }
    }

    func testSecondAgentRunsWithoutStorage() throws {
        let options = try EmberMain.options(["--storage.path=\(directory)"])
        let logger = Logger(level: .info, sink: log)

        let first = StorageSetup.persistence(options, logger: logger)
        let second = StorageSetup.persistence(options, logger: logger)

        XCTAssertNotNil(first)
        XCTAssertNil(second)
        XCTAssertEqual(log.lines(containing: "another ember process saves its state in this directory").count, 1)
    }

    func testStorageFlagsTurnPersistenceOff() throws {
        XCTAssertNil(try EmberMain.options(["--storage.path="]).storage.path)
        XCTAssertNil(try EmberMain.options(["--no-storage"]).storage.path)
        XCTAssertEqual(try EmberMain.options([]).storage.path, "/var/lib/ember")
        XCTAssertEqual(try EmberMain.options(["--storage.flush-interval=30s"]).storage.flushIntervalSeconds, 30)
    }

    func testUnchangedPartsAreNotRewritten() throws {
        let saver = try persistence()
        let running = try agent(saver)
        _ = receivedBytes(running)
        let hourFile = StateStore(directory: directory, fileName: StateStore.hourFileName).path
        let now = running.history.latest!.monotonicNanoseconds

        // The first call starts the flush interval, and the next, 300 s later, saves both files.
        saver.saveIfDue(history: running.history, ledger: running.counters, nowNanoseconds: now)
        saver.saveIfDue(history: running.history, ledger: running.counters, nowNanoseconds: now + 300_000_000_000)
        saver.waitForSaves()
        let chunkFile = directory + "/" + StateStore.minuteChunksFileName
        XCTAssertTrue(FileManager.default.fileExists(atPath: hourFile))
        XCTAssertTrue(FileManager.default.fileExists(atPath: chunkFile), "new series change the chunk file")
        try FileManager.default.removeItem(atPath: hourFile)
        try FileManager.default.removeItem(atPath: chunkFile)

        saver.saveIfDue(history: running.history, ledger: running.counters, nowNanoseconds: now + 600_000_000_000)
        saver.waitForSaves()

        XCTAssertFalse(FileManager.default.fileExists(atPath: hourFile), "no hour closed since the last save")
        XCTAssertFalse(FileManager.default.fileExists(atPath: chunkFile), "no chunk sealed since the last save")
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/" + StateStore.fileName))
    }

    func testEnergyTotalsContinueAfterRestart() throws {
        // node_exporter's tree has a battery that reports 5 W.
        let first = try agent(try persistence(), fixture: "node-exporter")
        _ = first.process(first.sampler.sampleOnce())
        usleep(100_000)
        let energy = first.process(first.sampler.sampleOnce()).samples.filter {
            $0.descriptor.name == "ember_energy_joules_total"
        }
        let saved = try XCTUnwrap(energy.first { $0.value > 0 }, "two samples integrate some energy")
        first.saveState()

        let second = try agent(try persistence(), fixture: "node-exporter")
        let restored = second.process(second.sampler.sampleOnce()).samples.first { $0.seriesKey == saved.seriesKey }

        XCTAssertEqual(try XCTUnwrap(restored).value, saved.value, accuracy: 1e-6, "the first reading adds nothing")
    }
}
