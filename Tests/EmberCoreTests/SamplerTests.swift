import Dispatch
import EmberCore
import Glibc
import Synchronization
import EmberTestSupport
import XCTest

/// Collectors with scripted behaviour, for driving the sampler.
private final class ConstantCollector: Collector {
    static let family = MetricDescriptor("test_value", "A constant.", labels: ["source"])
    let name: String

    init(name: String) {
        self.name = name
    }

    func update(into sink: inout MetricSink) throws {
        sink.add(Self.family, 42, name)
    }
}

private struct ScriptedFailure: Error, CustomStringConvertible {
    var description: String { "scripted failure" }
}

private final class FailingCollector: Collector {
    func update(into sink: inout MetricSink) throws {
        sink.add(ConstantCollector.family, 1, "partial")
        throw ScriptedFailure()
    }
}

/// Records the thread each run happens on.
private final class ThreadRecordingCollector: Collector {
    static let threads = Mutex<Set<UInt>>([])

    func update(into sink: inout MetricSink) throws {
        // pthread_t is an unsigned long in glibc.
        _ = Self.threads.withLock { $0.insert(UInt(pthread_self())) }
        sink.add(ConstantCollector.family, 1, "thread")
    }
}

/// Blocks in `update` until released, like a read from a sensor whose driver never returns.
private final class BlockingCollector: Collector {
    let release = DispatchSemaphore(value: 0)

    func update(into sink: inout MetricSink) throws {
        release.wait()
        sink.add(ConstantCollector.family, 7, "blocking")
    }
}

private final class PartialErrorCollector: Collector {
    func update(into sink: inout MetricSink) throws {
        sink.record(FileError(operation: "read", path: "/sys/class/hwmon/hwmon0/temp1_input", code: EIO))
        sink.record(FileError(operation: "open", path: "/sys/kernel/debug/rknpu/load", code: EACCES))
        sink.add(ConstantCollector.family, 3, "partial_error")
    }
}

/// Records a parse error whose content differs on every run, like a sensor returning noise.
private final class ChangingGarbageCollector: Collector {
    private var run = 0

    func update(into sink: inout MetricSink) throws {
        run += 1
        sink.record(ParseError(path: "/sys/class/hwmon/hwmon3/temp1_input", expected: "an integer", content: "x\(run)"))
    }
}

final class SamplerTests: XCTestCase {
    private func makeSampler(
        _ collectors: [(name: String, collector: any Collector)], timeout: Double = 0.2, sink: RecordingLogSink
    ) -> Sampler {
        // No path exists for the privilege report, so it names no file permission that root bypasses.
        let privileges = PrivilegeInspection(
            credentials: { ProcessCredentials(userID: 65534, groupID: 65534, supplementaryGroupIDs: [],
                                              capabilities: CapabilitySet(mask: 0)) },
            ownership: { _ in nil })
        return Sampler(
            collectors: collectors,
            configuration: Sampler.Configuration(intervalSeconds: 1, timeoutSeconds: timeout, version: "test"),
            logger: Logger(level: .debug, sink: sink), privileges: privileges)
    }

    private func value(_ snapshot: Snapshot, _ family: String, _ labels: [String]) -> Double? {
        snapshot.samples.first { $0.descriptor.name == family && $0.labelValues == labels }?.value
    }

    func testSuccessfulCollectorsAreMerged() {
        let log = RecordingLogSink()
        let sampler = makeSampler([("a", ConstantCollector(name: "a")), ("b", ConstantCollector(name: "b"))], sink: log)

        let snapshot = sampler.sampleOnce()

        XCTAssertEqual(snapshot.sequence, 1)
        XCTAssertEqual(value(snapshot, "test_value", ["a"]), 42)
        XCTAssertEqual(value(snapshot, "test_value", ["b"]), 42)
        XCTAssertEqual(value(snapshot, "ember_collector_success", ["a"]), 1)
        XCTAssertEqual(value(snapshot, "ember_build_info", ["test", Sampler.swiftVersionString]), 1)
        XCTAssertNotNil(value(snapshot, "ember_last_sample_timestamp_seconds", []))
        XCTAssertNotNil(value(snapshot, "ember_process_resident_memory_bytes", []))
    }

    func testBlockingCollectorDoesNotDelayOthers() {
        let log = RecordingLogSink()
        let blocking = BlockingCollector()
        let sampler = makeSampler([("stuck", blocking), ("ok", ConstantCollector(name: "ok"))], sink: log)
        defer { blocking.release.signal() }

        let started = DispatchTime.now().uptimeNanoseconds
        let first = sampler.sampleOnce()
        let second = sampler.sampleOnce()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9

        // The first cycle waits out its 0.2 s deadline. The second does not wait on the stuck
        // collector at all, because its earlier run has not returned.
        XCTAssertLessThan(elapsed, 1.0)
        XCTAssertEqual(value(first, "ember_collector_success", ["stuck"]), 0)
        XCTAssertEqual(value(first, "ember_collector_success", ["ok"]), 1)
        XCTAssertEqual(value(second, "ember_collector_success", ["stuck"]), 0)
        XCTAssertEqual(value(second, "test_value", ["ok"]), 42)
        XCTAssertNil(value(second, "test_value", ["blocking"]))
        XCTAssertEqual(value(second, "ember_collector_failures_total", ["stuck"]), 2)
        XCTAssertEqual(log.lines(containing: "did not finish before the sample deadline").count, 1)
        XCTAssertNil(value(second, "ember_last_sample_timestamp_seconds", []))
    }

    /// Collectors start on one lane, and a lane is added while collectors wait behind stuck ones.
    /// More stuck collectors than lanes must still leave a thread for the others.
    func testManyBlockingCollectorsDoNotDelayOthers() {
        let log = RecordingLogSink()
        let blocking = (0..<6).map { _ in BlockingCollector() }
        let stuck = blocking.enumerated().map { (name: "stuck\($0.offset)", collector: $0.element as any Collector) }
        // A whole second of deadline, so only a thread starved by the stuck ones can miss it, not
        // a busy test machine.
        let sampler = makeSampler(stuck + [("ok", ConstantCollector(name: "ok"))], timeout: 1, sink: log)
        defer { blocking.forEach { $0.release.signal() } }

        let first = sampler.sampleOnce()
        let second = sampler.sampleOnce()

        XCTAssertEqual(value(first, "ember_collector_success", ["ok"]), 1)
        XCTAssertEqual(value(second, "ember_collector_success", ["ok"]), 1)
        XCTAssertEqual(value(second, "ember_collector_success", ["stuck5"]), 0)
    }

    /// Collectors that return at once share the lane a cycle starts with, rather than a thread
    /// each, which kept about 20 idle threads for the RK3588 fixture's collectors.
    func testQuickCollectorsShareOneLane() {
        let collectors = (0..<16).map { (name: "quick\($0)", collector: ThreadRecordingCollector() as any Collector) }
        let sampler = makeSampler(collectors, timeout: 1, sink: RecordingLogSink())

        var largest = 0
        for _ in 0..<5 {
            ThreadRecordingCollector.threads.withLock { $0.removeAll() }
            let snapshot = sampler.sampleOnce()
            XCTAssertEqual(snapshot.collectors.filter { $0.outcome == .success }.count, 16)
            largest = max(largest, ThreadRecordingCollector.threads.withLock { $0.count })
        }

        // One more than one allows for a lane added while the test machine paused the lane for 50 ms.
        XCTAssertLessThanOrEqual(largest, 2)
    }

    /// With the starting lane stuck and a deadline shorter than the wait before a second lane, the
    /// collector behind it never starts. It must be free again in the next cycle, not stay
    /// claimed behind a lane that may never return.
    func testCollectorNotStartedByDeadlineRunsNextCycle() {
        let blocking = [BlockingCollector()]
        let stuck: [(name: String, collector: any Collector)] = [("stuck0", blocking[0])]
        let sampler = makeSampler(stuck + [("ok", ConstantCollector(name: "ok"))], timeout: 0.02, sink: RecordingLogSink())
        defer { blocking.forEach { $0.release.signal() } }

        let first = sampler.sampleOnce()
        let second = sampler.sampleOnce()

        XCTAssertEqual(value(first, "ember_collector_success", ["ok"]), 0)
        XCTAssertEqual(value(second, "ember_collector_success", ["ok"]), 1)
        XCTAssertEqual(value(second, "test_value", ["ok"]), 42)
    }

    func testStuckCollectorRecoversWhenReleased() {
        let log = RecordingLogSink()
        let blocking = BlockingCollector()
        let sampler = makeSampler([("stuck", blocking)], sink: log)

        _ = sampler.sampleOnce()
        blocking.release.signal()
        // Let the stuck run return, then release the next run at once.
        blocking.release.signal()
        Thread.sleep(forTimeInterval: 0.05)
        let recovered = sampler.sampleOnce()

        XCTAssertEqual(value(recovered, "ember_collector_success", ["stuck"]), 1)
        XCTAssertEqual(value(recovered, "test_value", ["blocking"]), 7)
        XCTAssertEqual(log.lines(containing: "collector recovered").count, 1)
    }

    func testFailureIsLoggedOnceAndCounted() {
        let log = RecordingLogSink()
        let sampler = makeSampler([("bad", FailingCollector())], sink: log)

        var last: Snapshot!
        for _ in 0..<3 {
            last = sampler.sampleOnce()
        }

        XCTAssertEqual(value(last, "ember_collector_success", ["bad"]), 0)
        XCTAssertEqual(value(last, "ember_collector_failures_total", ["bad"]), 3)
        XCTAssertEqual(value(last, "test_value", ["partial"]), 1, "series read before the failure are kept")
        XCTAssertEqual(log.lines(containing: "collector failed").count, 1)
        XCTAssertTrue(log.lines(containing: "collector failed")[0].contains("err=\"scripted failure\""))
    }

    func testPartialErrorsAndUnavailableSources() {
        let log = RecordingLogSink()
        let sampler = makeSampler([("hw", PartialErrorCollector())], sink: log)

        _ = sampler.sampleOnce()
        let second = sampler.sampleOnce()

        XCTAssertEqual(value(second, "ember_collector_success", ["hw"]), 1)
        XCTAssertEqual(value(second, "ember_collector_errors_total", ["hw"]), 2)
        XCTAssertEqual(value(second, "ember_source_available", ["hw", "/sys/kernel/debug/rknpu/load", "root"]), 0)
        XCTAssertEqual(log.lines(containing: "read error").count, 1, "a repeated error is logged once")
        XCTAssertEqual(log.lines(containing: "not readable by this user").count, 1)
        XCTAssertTrue(log.lines(containing: "read error")[0].contains("EIO"))
    }

    func testChangingGarbageIsLoggedOnce() {
        let log = RecordingLogSink()
        let sampler = makeSampler([("hw", ChangingGarbageCollector())], sink: log)

        var last: Snapshot!
        for _ in 0..<3 {
            last = sampler.sampleOnce()
        }

        XCTAssertEqual(log.lines(containing: "read error").count, 1)
        XCTAssertEqual(value(last, "ember_collector_errors_total", ["hw"]), 3)
    }
}
