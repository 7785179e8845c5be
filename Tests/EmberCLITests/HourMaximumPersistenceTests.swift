import EmberCore
import EmberHistory
import EmberTestSupport
import Foundation
import XCTest

@testable import EmberCLI

/// The temperatures' hourly maxima in the state files, saved and loaded through the agent on the
/// RK3588 mainline fixture.
final class HourMaximumPersistenceTests: XCTestCase {
    private var directory = ""
    private let log = RecordingLogSink()

    override func setUp() {
        directory = NSTemporaryDirectory() + "ember-hour-maximum-\(getpid())-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func agent() throws -> Agent {
        let store = StateStore(directory: directory)
        try store.prepare()
        let persistence = Persistence(store: store, machineID: "machine-a", bootID: "boot-1", flushIntervalSeconds: 300,
                                      logger: Logger(level: .debug, sink: log))
        let roots = Fixtures.roots("rk3588/opi5plus-mainline")
        // Long timeouts, so that a collector on a loaded test machine is not cut off.
        let options = try EmberMain.options([
            "--path.sysfs=\(roots.sysfs)", "--path.procfs=\(roots.procfs)", "--path.debugfs=\(roots.debugfs)",
            "--sample.interval=10s", "--collector.read-timeout=4s",
        ])
        return try Agent(options, logger: Logger(level: .error, sink: log), persistence: persistence)
    }

    /// Returns the key of a thermal zone temperature of the fixture.
    private func temperatureKey(_ agent: Agent) throws -> String {
        let samples = agent.process(agent.sampler.sampleOnce()).samples
        return try XCTUnwrap(samples.first { $0.descriptor.name == "node_thermal_zone_temp" }?.seriesKey)
    }

    func testMaximaSurviveRestart() throws {
        let first = try agent()
        let key = try temperatureKey(first)
        first.saveState()

        let second = try agent()

        let (maxima, kind) = second.history.withHistory {
            ($0.hourMaximum.bucketCount(of: key), $0.hourMaximum.kind(of: key))
        }
        XCTAssertEqual(maxima, 1, "the open hour's maximum is saved and resumed")
        XCTAssertEqual(kind, .maximum)
        XCTAssertEqual(log.lines(containing: "part of the saved history was not loaded"), [])
    }

    func testVersionTwoHourFileIsMigrated() throws {
        let key = try temperatureKey(try agent())
        // A version 2 agent's hour chunk file: the temperature in full buckets for 100 hours.
        let oldTier = HistoryTier(name: "hour", widthSeconds: 3600, capacity: 720, longCapacity: 9600)
        let firstHour = Int64(WallClock.now() / 3600) - 100
        for hour in firstHour..<(firstHour + 100) {
            oldTier.advance(toSeconds: Double(hour * 3600))
            oldTier.add(key, kind: .gauge, value: 40 + Double(hour % 5), atSeconds: Double(hour * 3600), long: true)
        }
        oldTier.advance(toSeconds: Double((firstHour + 100) * 3600))
        let state = PersistedState(machineID: "machine-a", bootID: "boot-1", savedAtSeconds: WallClock.now(),
                                   counters: [:], tiers: [History(HistoryConfiguration()).persisted(oldTier)])
        var bytes = StateFileFormat.encode(state)
        // The version is outside the checksummed payload, and versions 2 and 3 encode this tier alike.
        bytes[8] = 2
        try StateStore(directory: directory, fileName: StateStore.hourChunksFileName).save(bytes)

        let upgraded = try agent()

        let maxima = try upgraded.history.withHistory { history in
            var values: [Double] = []
            try history.hourMaximum.forEachBucket(of: key, in: Int64.min...Int64.max, includeOpen: false) {
                values.append($1[0])
            }
            return values
        }
        XCTAssertEqual(maxima, (firstHour..<(firstHour + 100)).map { 40 + Double($0 % 5) })
        XCTAssertEqual(log.lines(containing: "part of the saved history was not loaded"), [])
        XCTAssertEqual(log.lines(containing: "moved aside"), [])
    }

    func testVersionFourFileIsMovedAside() throws {
        let first = try agent()
        _ = try temperatureKey(first)
        first.saveState()
        let hourStore = StateStore(directory: directory, fileName: StateStore.hourFileName)
        var bytes = try XCTUnwrap(try hourStore.load())
        bytes[8] = 4
        try hourStore.save(bytes)

        _ = try agent()

        let lines = log.lines(containing: "moved aside")
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines.first?.contains("format version 4 is newer than this agent reads (3)") ?? false, "\(lines)")
        XCTAssertNil(try hourStore.load())
    }
}
