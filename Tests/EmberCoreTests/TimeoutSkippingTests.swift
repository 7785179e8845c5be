import Dispatch
import EmberCore
import EmberTestSupport
import XCTest

final class TimeoutSkippingTests: XCTestCase {
    private let deadline = ReadDeadline(timeoutSeconds: 0.2, firstRetrySeconds: 30, maximumRetrySeconds: 100)

    private func timeout(of body: () throws -> [UInt8]) -> ReadTimeout? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? FileError)?.timeout
        }
    }

    private func elapsedSeconds(_ body: () -> Void) -> Double {
        let start = SystemClock().monotonicNanoseconds()
        body()
        return Double(SystemClock().monotonicNanoseconds() - start) / 1e9
    }

    func testTimedOutPathIsSkippedThenRetried() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp")
        let path = tree.path("temp")
        let clock = ManualClock()
        let log = RecordingLogSink()
        var faults: FaultInjectingFileSystem!
        let fileSystem = deadline.makeFileSystem(logger: Logger(level: .debug, sink: log), clock: clock) {
            faults = FaultInjectingFileSystem(base: $0)
            return faults
        }
        let blocked = faults.injectBlockingRead(at: path)

        XCTAssertEqual(timeout { try fileSystem.readAttribute(path) }, ReadTimeout(.abandoned, deadlineSeconds: 0.2))
        XCTAssertEqual(fileSystem.skipped, [path])

        var skipped: ReadTimeout?
        let skipSeconds = elapsedSeconds { skipped = timeout { try fileSystem.readAttribute(path) } }
        XCTAssertEqual(skipped, ReadTimeout(.skipped(retryInSeconds: 30), deadlineSeconds: 0.2))
        XCTAssertLessThan(skipSeconds, 0.15, "a skipped path does not wait the 200ms deadline")
        XCTAssertEqual(blocked.startedReads, 1)

        clock.advance(seconds: 30)
        XCTAssertEqual(timeout { try fileSystem.readAttribute(path) }, ReadTimeout(.abandoned, deadlineSeconds: 0.2))
        XCTAssertEqual(blocked.startedReads, 2)
        clock.advance(seconds: 59)
        XCTAssertEqual(timeout { try fileSystem.readAttribute(path) }?.isAbandoned, false, "the wait doubled to 60s")

        blocked.release()
        clock.advance(seconds: 1)
        XCTAssertEqual(try fileSystem.readAttribute(path), Array("45000\n".utf8))
        XCTAssertEqual(fileSystem.skipped, [])

        XCTAssertEqual(log.lines(containing: "read timed out and was abandoned").count, 1)
        XCTAssertEqual(log.lines(containing: "deadline=200ms").count, 1)
        XCTAssertEqual(log.lines(containing: "file responds again").count, 1)
        XCTAssertEqual(log.lines(containing: "timeouts=2").count, 2, "the repeated timeout at debug, then recovery")
    }

    func testRetryWaitStopsAtMaximum() throws {
        let tree = try TemporaryTree()
        try tree.write("", at: "stuck")
        try tree.replaceWithFIFO("stuck")
        let path = tree.path("stuck")
        let clock = ManualClock()
        let fileSystem = deadline.makeFileSystem(logger: Logger(level: .error), clock: clock)

        _ = timeout { try fileSystem.readAttribute(path) }
        for wait in [30.0, 60, 100, 100] {
            clock.advance(seconds: wait - 1)
            XCTAssertEqual(timeout { try fileSystem.readAttribute(path) }?.isAbandoned, false, "before \(wait)s")
            clock.advance(seconds: 1)
            XCTAssertEqual(timeout { try fileSystem.readAttribute(path) }?.isAbandoned, true, "at \(wait)s")
        }
    }

    /// A retry that returns in time, even with an error, ends the skipping.
    func testRetryErrorEndsSkipping() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp")
        let path = tree.path("temp")
        let clock = ManualClock()
        var faults: FaultInjectingFileSystem!
        let fileSystem = deadline.makeFileSystem(logger: Logger(level: .error), clock: clock) {
            faults = FaultInjectingFileSystem(base: $0)
            return faults
        }
        let blocked = faults.injectBlockingRead(at: path)
        _ = timeout { try fileSystem.readAttribute(path) }
        blocked.release()
        faults.injectReadError(EIO, at: path)

        clock.advance(seconds: 30)

        XCTAssertThrowsError(try fileSystem.readAttribute(path)) { error in
            XCTAssertEqual((error as? FileError)?.code, EIO)
        }
        XCTAssertEqual(fileSystem.skipped, [])
    }

    func testOtherErrorsAreNotSkipped() throws {
        let tree = try TemporaryTree()
        let path = tree.path("missing")
        let fileSystem = deadline.makeFileSystem(logger: Logger(level: .error), clock: ManualClock())

        XCTAssertThrowsError(try fileSystem.readAttribute(path))

        XCTAssertEqual(fileSystem.skipped, [])
    }
}
