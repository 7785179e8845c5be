import Dispatch
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

final class ReadDeadlineTests: XCTestCase {
    private let timeout = 0.2

    private func seconds(since start: UInt64) -> Double {
        Double(SystemClock().monotonicNanoseconds() - start) / 1e9
    }

    private func assertAbandoned(
        _ error: any Error, operation: String, path: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let fileError = error as? FileError else {
            return XCTFail("expected a FileError, got \(error)", file: file, line: line)
        }
        XCTAssertEqual(fileError.operation, operation, file: file, line: line)
        XCTAssertEqual(fileError.path, path, file: file, line: line)
        XCTAssertEqual(fileError.code, ETIMEDOUT, file: file, line: line)
        XCTAssertEqual(fileError.timeout, ReadTimeout(.abandoned, deadlineSeconds: timeout), file: file, line: line)
    }

    func testFIFOOpenIsAbandonedAtDeadline() throws {
        let tree = try TemporaryTree()
        try tree.write("", at: "temp")
        try tree.replaceWithFIFO("temp")
        let fileSystem = SystemFileSystem(readTimeoutSeconds: timeout)

        let start = SystemClock().monotonicNanoseconds()
        XCTAssertThrowsError(try fileSystem.readAttribute(tree.path("temp"))) { error in
            assertAbandoned(error, operation: "open", path: tree.path("temp"))
        }

        let elapsed = seconds(since: start)
        XCTAssertGreaterThanOrEqual(elapsed, timeout)
        XCTAssertLessThan(elapsed, 1, "the watchdog interrupts within 1.25 deadlines plus scheduling delay")
    }

    func testBlockedPipeReadIsAbandoned() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp")
        let faults = FaultInjectingFileSystem(base: SystemFileSystem(readTimeoutSeconds: timeout))
        let blocked = faults.injectBlockingRead(at: tree.path("temp"))

        XCTAssertThrowsError(try faults.readAttribute(tree.path("temp"))) { error in
            assertAbandoned(error, operation: "read", path: tree.path("temp"))
        }
        XCTAssertEqual(blocked.startedReads, 1)
    }

    func testReleasedBlockReturnsContent() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp")
        let faults = FaultInjectingFileSystem(base: SystemFileSystem(readTimeoutSeconds: 5))
        let blocked = faults.injectBlockingRead(at: tree.path("temp"))

        DispatchQueue.global().async {
            _ = blocked.waitForStartedReads(1, timeoutSeconds: 5)
            blocked.release()
        }
        let content = try faults.readAttribute(tree.path("temp"))

        XCTAssertEqual(String(decoding: content, as: UTF8.self), "45000\n")
        XCTAssertEqual(try faults.readAttribute(tree.path("temp")), content, "a released fault no longer blocks")
        XCTAssertEqual(blocked.startedReads, 1)
    }

    /// An EINTR from a signal other than the watchdog's is retried, and the read completes.
    func testOtherSignalInterruptIsRetried() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp")
        let faults = FaultInjectingFileSystem(base: SystemFileSystem(readTimeoutSeconds: 5))
        let blocked = faults.injectBlockingRead(at: tree.path("temp"))
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        var previous = sigaction()
        XCTAssertEqual(sigaction(SIGUSR2, &action, &previous), 0)
        defer { sigaction(SIGUSR2, &previous, nil) }

        let reader = BackgroundRead(faults, path: tree.path("temp"))
        XCTAssertTrue(blocked.waitForStartedReads(1, timeoutSeconds: 5))
        usleep(50_000)
        XCTAssertEqual(pthread_kill(reader.thread, SIGUSR2), 0)
        usleep(50_000)
        blocked.release()

        let content = try XCTUnwrap(reader.wait(seconds: 5)).get()
        XCTAssertEqual(String(decoding: content, as: UTF8.self), "45000\n")
    }

    /// After an abandoned read, the watchdog's signal must not interrupt the thread's later calls.
    func testReadsAfterTimeoutSucceed() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp")
        try tree.write("", at: "stuck")
        try tree.replaceWithFIFO("stuck")
        let fileSystem = SystemFileSystem(readTimeoutSeconds: timeout)

        XCTAssertThrowsError(try fileSystem.readAttribute(tree.path("stuck")))
        for _ in 0..<1_000 {
            XCTAssertEqual(try fileSystem.readAttribute(tree.path("temp")).count, 6)
        }
        XCTAssertThrowsError(
            try fileSystem.readAttribute(tree.path("stuck")), "the deadline still works after a timeout")
    }

    func testGuardedReadsMatchUnguarded() throws {
        let roots = Fixtures.roots("rk3588/opi5plus-mainline")
        let guarded = SystemFileSystem(readTimeoutSeconds: timeout)
        let plain = SystemFileSystem()

        for path in [roots.proc("stat"), roots.sys("class/thermal/thermal_zone0/temp")] {
            XCTAssertEqual(try guarded.readFile(path, limit: 1 << 20), try plain.readFile(path, limit: 1 << 20))
            XCTAssertEqual(try guarded.readAttribute(path), try plain.readAttribute(path))
        }
    }
}

/// One read on a thread of its own, whose `pthread_t` a test can signal.
final class BackgroundRead: @unchecked Sendable {
    private(set) var thread = pthread_t()
    private var outcome: Result<[UInt8], FileError>?
    private let started = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading `path` through `fileSystem` and returns once the thread runs.
    init(_ fileSystem: any FileSystem, path: String) {
        let unchecked = UncheckedFileSystem(fileSystem)
        Thread.detachNewThread { [self] in
            thread = pthread_self()
            started.signal()
            outcome = Result { () throws(FileError) in try unchecked.value.readAttribute(path) }
            done.signal()
        }
        started.wait()
    }

    /// Waits up to `seconds` for the read to end and returns its outcome, or nil on timeout.
    func wait(seconds: Double) -> Result<[UInt8], FileError>? {
        done.wait(timeout: .now() + seconds) == .success ? outcome : nil
    }
}

/// Hands a file system to one other thread; the test does not use it meanwhile.
private struct UncheckedFileSystem: @unchecked Sendable {
    let value: any FileSystem

    init(_ value: any FileSystem) {
        self.value = value
    }
}
