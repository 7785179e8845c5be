import EmberTestSupport
import XCTest

@testable import EmberCore

final class ReadGuardTests: XCTestCase {
    private func now() -> UInt64 {
        SystemClock().monotonicNanoseconds()
    }

    /// A signal that arrives while the reader is still in user space interrupts nothing, so the
    /// watchdog sends it again until the reader returns.
    func testSignalIsResentUntilReaderReturns() throws {
        let readGuard = ReadGuard(timeoutSeconds: 0.1)
        var ends: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&ends), 0)
        defer { ends.forEach { close($0) } }

        readGuard.arm()
        let armedAt = now()
        while !readGuard.hasFired {
            if now() - armedAt > 5_000_000_000 { break }
        }
        XCTAssertTrue(readGuard.hasFired, "the watchdog fired while the reader spun in user space")

        var byte: UInt8 = 0
        let blockedAt = now()
        let result = read(ends[0], &byte, 1)
        let code = errno
        let blockedSeconds = Double(now() - blockedAt) / 1e9
        readGuard.disarm()

        XCTAssertEqual(result, -1)
        XCTAssertEqual(code, EINTR)
        XCTAssertLessThan(blockedSeconds, 1, "interrupted by a resent signal within about one timeout")
        XCTAssertEqual(readGuard.state.load(ordering: .sequentiallyConsistent), 0)
    }

    /// Once disarmed, the guard sends nothing more: a later blocking call is not interrupted.
    func testDisarmedGuardSendsNothing() throws {
        let readGuard = ReadGuard(timeoutSeconds: 0.05)
        readGuard.arm()
        readGuard.disarm()

        var spec = timespec(tv_sec: 0, tv_nsec: 300_000_000)
        XCTAssertEqual(nanosleep(&spec, nil), 0, "no signal interrupted the sleep")
    }

    /// A file system that goes away takes its guard out of the watchdog's list.
    func testReleasedFileSystemUnregistersGuard() {
        let before = ReadWatchdog.shared.guardCount
        var fileSystem: SystemFileSystem? = SystemFileSystem(readTimeoutSeconds: 1)
        XCTAssertEqual(ReadWatchdog.shared.guardCount, before + 1)

        fileSystem = nil

        XCTAssertNil(fileSystem)
        XCTAssertEqual(ReadWatchdog.shared.guardCount, before)
    }
}
