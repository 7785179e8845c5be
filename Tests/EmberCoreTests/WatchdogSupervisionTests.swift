import Dispatch
@testable import EmberCore
import EmberTestSupport
import Foundation
import Synchronization
import XCTest

/// While a sample cycle supervises the readers, a reader that arms a guard leaves the watchdog
/// asleep, and the cycle's stall checks and its end wake it instead. A blocked read is abandoned
/// either way, only after the wake-up.
final class WatchdogSupervisionTests: XCTestCase {
    private let timeout = 0.1

    private func seconds(since start: UInt64) -> Double {
        Double(SystemClock().monotonicNanoseconds() - start) / 1e9
    }

    /// A read on another thread: `done` is signalled when it returns, with its error in `error`.
    private final class PendingRead: Sendable {
        let done = DispatchSemaphore(value: 0)
        let error = Mutex<FileError?>(nil)
    }

    /// Starts a read of a FIFO without a writer, which blocks in `open` until the watchdog
    /// interrupts it.
    private func startBlockedRead(_ tree: TemporaryTree) throws -> PendingRead {
        try tree.write("", at: "temp")
        try tree.replaceWithFIFO("temp")
        let path = tree.path("temp")
        let timeout = timeout
        let read = PendingRead()
        DispatchQueue.global().async {
            let fileSystem = SystemFileSystem(readTimeoutSeconds: timeout)
            do throws(FileError) {
                _ = try fileSystem.readAttribute(path)
            } catch {
                read.error.withLock { $0 = error }
            }
            read.done.signal()
        }
        return read
    }

    /// Lets the watchdog go back to its untimed sleep after reads of earlier tests.
    override func setUp() {
        Thread.sleep(forTimeInterval: 0.2)
    }

    func testSupervisedReadWaitsForCycle() throws {
        let tree = try TemporaryTree()
        var read: PendingRead?

        let returnedWhileSupervised = ReadWatchdog.shared.supervising { _ -> Bool in
            read = try? startBlockedRead(tree)
            // Five timeouts without a stall check: nothing wakes the watchdog.
            return read?.done.wait(timeout: .now() + 5 * timeout) == .success
        }
        let end = SystemClock().monotonicNanoseconds()

        XCTAssertFalse(returnedWhileSupervised, "the reader woke the watchdog although a cycle supervised it")
        XCTAssertEqual(read?.done.wait(timeout: .now() + 2), .success, "the end of supervision woke the watchdog")
        XCTAssertLessThan(seconds(since: end), 1)
        XCTAssertEqual(read?.error.withLock { $0?.code }, ETIMEDOUT)
    }

    func testStallCheckWakesWatchdogForBlockedRead() throws {
        let tree = try TemporaryTree()
        let start = SystemClock().monotonicNanoseconds()

        let error = try ReadWatchdog.shared.supervising { wakeIfArmed -> FileError? in
            let read = try startBlockedRead(tree)
            // Stall checks every 50 ms, as a cycle waiting for its collectors makes them.
            while read.done.wait(timeout: .now() + 0.05) == .timedOut {
                wakeIfArmed()
                guard seconds(since: start) < 2 else {
                    XCTFail("the blocked read was not abandoned within 2 s")
                    return nil
                }
            }
            return read.error.withLock { $0 }
        }

        XCTAssertEqual(error?.code, ETIMEDOUT)
        XCTAssertEqual(error?.timeout, ReadTimeout(.abandoned, deadlineSeconds: timeout))
        XCTAssertGreaterThanOrEqual(seconds(since: start), timeout)
    }
}
