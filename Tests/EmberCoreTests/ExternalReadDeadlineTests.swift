import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// Reads that a C library makes itself (libsensors' stdio calls), run through
/// `withReadDeadline(reading:_:)`.
final class ExternalReadDeadlineTests: XCTestCase {
    private let timeout = 0.2
    private let deadline = ReadDeadline(timeoutSeconds: 0.2, firstRetrySeconds: 30, maximumRetrySeconds: 100)

    private struct LibraryError: Error, Equatable {
        let code: Int32
    }

    /// Reads one number as libsensors 3.6 reads an attribute: `fopen`, then `fscanf("%lf")`.
    private func stdioNumber(_ path: String) throws -> Double {
        guard let file = fopen(path, "r") else { throw LibraryError(code: errno) }
        defer { fclose(file) }

        var value = 0.0
        let withVarargs: (CVaListPointer) -> Int32 = { vfscanf(file, "%lf", $0) }
        let matched = withUnsafeMutablePointer(to: &value) { withVaList([$0], withVarargs) }
        guard matched == 1 else { throw LibraryError(code: -1) }
        return value
    }

    private func seconds(since start: UInt64) -> Double {
        Double(SystemClock().monotonicNanoseconds() - start) / 1e9
    }

    private func timeout(of body: () throws -> Double) -> ReadTimeout? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? FileError)?.timeout
        }
    }

    func testStdioOpenOfFIFOIsAbandoned() throws {
        let tree = try TemporaryTree()
        try tree.write("", at: "temp1_input")
        try tree.replaceWithFIFO("temp1_input")
        let path = tree.path("temp1_input")
        let fileSystem = SystemFileSystem(readTimeoutSeconds: timeout)

        let start = SystemClock().monotonicNanoseconds()
        XCTAssertThrowsError(try fileSystem.withReadDeadline(reading: path) { try stdioNumber(path) }) { error in
            let fileError = error as? FileError
            XCTAssertEqual(fileError?.path, path)
            XCTAssertEqual(fileError?.code, ETIMEDOUT)
            XCTAssertEqual(fileError?.timeout, ReadTimeout(.abandoned, deadlineSeconds: timeout))
        }

        let elapsed = seconds(since: start)
        XCTAssertGreaterThanOrEqual(elapsed, timeout)
        XCTAssertLessThan(elapsed, 1, "the watchdog interrupts within 1.25 deadlines plus scheduling delay")
    }

    /// A writer holds the FIFO open and writes nothing, so `fopen` returns and `fscanf` blocks in
    /// `read`.
    func testStdioReadOfSilentFIFOIsAbandoned() throws {
        let tree = try TemporaryTree()
        try tree.write("", at: "temp1_input")
        try tree.replaceWithFIFO("temp1_input")
        let path = tree.path("temp1_input")
        let writer = open(path, O_RDWR | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(writer, 0)
        defer { close(writer) }
        let fileSystem = SystemFileSystem(readTimeoutSeconds: timeout)

        let start = SystemClock().monotonicNanoseconds()
        XCTAssertEqual(timeout { try fileSystem.withReadDeadline(reading: path) { try stdioNumber(path) } },
                       ReadTimeout(.abandoned, deadlineSeconds: timeout))
        XCTAssertLessThan(seconds(since: start), 1)
    }

    func testValueAndLibraryErrorPassThrough() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp1_input")
        let path = tree.path("temp1_input")
        let fileSystem = SystemFileSystem(readTimeoutSeconds: timeout)

        XCTAssertEqual(try fileSystem.withReadDeadline(reading: path) { try stdioNumber(path) }, 45000)
        XCTAssertThrowsError(try fileSystem.withReadDeadline(reading: path) { throw LibraryError(code: 7) }) { error in
            XCTAssertEqual(error as? LibraryError, LibraryError(code: 7), "a failure in time is the library's own")
        }
        XCTAssertEqual(try fileSystem.withReadDeadline(reading: path) { try stdioNumber(path) }, 45000,
                       "the guard is idle again after a failed call")
    }

    func testSkippedExternalReadIsNotCalledUntilRetry() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp1_input")
        let path = tree.path("temp1_input")
        let clock = ManualClock()
        let log = RecordingLogSink()
        var faults: FaultInjectingFileSystem!
        let fileSystem = deadline.makeFileSystem(logger: Logger(level: .debug, sink: log), clock: clock) {
            faults = FaultInjectingFileSystem(base: $0)
            return faults
        }
        let blocked = faults.injectBlockingRead(at: path)
        var calls = 0
        let read = { () throws -> Double in
            calls += 1
            return try self.stdioNumber(path)
        }

        XCTAssertEqual(timeout { try fileSystem.withReadDeadline(reading: path, read) },
                       ReadTimeout(.abandoned, deadlineSeconds: 0.2), "fread's short count counts as a timeout")
        XCTAssertEqual(blocked.startedReads, 1)
        XCTAssertEqual(fileSystem.skipped, [path])

        let start = SystemClock().monotonicNanoseconds()
        XCTAssertEqual(timeout { try fileSystem.withReadDeadline(reading: path, read) },
                       ReadTimeout(.skipped(retryInSeconds: 30), deadlineSeconds: 0.2))
        XCTAssertLessThan(seconds(since: start), 0.15, "a skipped path does not wait the 200ms deadline")
        XCTAssertEqual(calls, 1, "the library is not called for a skipped path")

        clock.advance(seconds: 30)
        XCTAssertEqual(timeout { try fileSystem.withReadDeadline(reading: path, read) }?.isAbandoned, true)
        clock.advance(seconds: 59)
        XCTAssertEqual(timeout { try fileSystem.withReadDeadline(reading: path, read) }?.isAbandoned, false,
                       "the wait doubled to 60s")

        blocked.release()
        clock.advance(seconds: 1)
        XCTAssertEqual(try fileSystem.withReadDeadline(reading: path, read), 45000)
        XCTAssertEqual(fileSystem.skipped, [])
        XCTAssertEqual(log.lines(containing: "read timed out and was abandoned").count, 1)
        XCTAssertEqual(log.lines(containing: "file responds again").count, 1)
    }

    /// A library error on a retry returned in time, so it ends the skipping as a read error does.
    func testLibraryErrorOnRetryEndsSkipping() throws {
        let tree = try TemporaryTree()
        try tree.write("45000\n", at: "temp1_input")
        let path = tree.path("temp1_input")
        let clock = ManualClock()
        var faults: FaultInjectingFileSystem!
        let fileSystem = deadline.makeFileSystem(logger: Logger(level: .error), clock: clock) {
            faults = FaultInjectingFileSystem(base: $0)
            return faults
        }
        let blocked = faults.injectBlockingRead(at: path)
        XCTAssertEqual(timeout { try fileSystem.withReadDeadline(reading: path) { try self.stdioNumber(path) } }?
            .isAbandoned, true)

        blocked.release()
        clock.advance(seconds: 30)
        XCTAssertThrowsError(try fileSystem.withReadDeadline(reading: path) { throw LibraryError(code: 5) }) { error in
            XCTAssertEqual(error as? LibraryError, LibraryError(code: 5))
        }
        XCTAssertEqual(fileSystem.skipped, [])
    }
}
