import Dispatch
import EmberTestSupport
import Foundation
import Synchronization
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

    /// Races the watchdog against readers on purpose: each read waits on a pipe whose writer
    /// sends the value after 0 to 3 ms, around the 1 ms deadline, so the watchdog fires before,
    /// during and just after reads return. Each read must return the value or a timeout, no thread
    /// may hang, and both outcomes must occur.
    func testDeadlineRacesStayConsistent() throws {
        let threads = 4
        let readsPerThread = 300
        let tally = ReadTally()
        let done = DispatchGroup()

        for _ in 0..<threads {
            done.enter()
            Thread.detachNewThread {
                let feeder = PipeFeeder()
                let fileSystem = SystemFileSystem(readTimeoutSeconds: 0.001)
                for _ in 0..<readsPerThread {
                    do throws(FileError) {
                        let bytes = try fileSystem.readAttribute(feeder.path)
                        tally.note(bytes == PipeFeeder.value ? .content : .other)
                    } catch {
                        tally.note(error.timeout?.isAbandoned == true ? .timeout : .other)
                    }
                }
                feeder.stop()
                done.leave()
            }
        }

        XCTAssertEqual(done.wait(timeout: .now() + 120), .success, "a reader hung")
        let content = tally.content.load(ordering: .relaxed)
        let timeouts = tally.timeouts.load(ordering: .relaxed)
        XCTAssertEqual(content + timeouts, threads * readsPerThread)
        XCTAssertEqual(tally.other.load(ordering: .relaxed), 0)
        XCTAssertGreaterThan(content, 0)
        XCTAssertGreaterThan(timeouts, 0)
    }
}

/// Writes one value into a pipe at a time, each 0 to 3 ms after the previous one was read.
private final class PipeFeeder: @unchecked Sendable {
    static let value = Array("45000\n".utf8)

    private let readEnd: Int32
    private let writeEnd: Int32
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// The path through which a reader opens the pipe.
    var path: String { "/proc/self/fd/\(readEnd)" }

    init() {
        var ends: [Int32] = [-1, -1]
        precondition(pipe(&ends) == 0, "pipe failed: errno \(errno)")
        (readEnd, writeEnd) = (ends[0], ends[1])
        Thread.detachNewThread { [self] in
            feed()
            finished.signal()
        }
    }

    /// Stops the writer and closes the pipe.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        finished.wait()
        close(readEnd)
        close(writeEnd)
    }

    private func feed() {
        while !stopped.load(ordering: .relaxed) {
            var pending: Int32 = 0
            if ioctl(writeEnd, UInt(FIONREAD), &pending) == 0, pending > 0 {
                usleep(100)
                continue
            }
            usleep(UInt32.random(in: 0...3_000))
            _ = PipeFeeder.value.withUnsafeBytes { write(writeEnd, $0.baseAddress!, $0.count) }
        }
    }
}

/// Outcomes of reads on several threads.
private final class ReadTally: Sendable {
    enum Outcome {
        case content, timeout, other
    }

    let content = Atomic<Int>(0)
    let timeouts = Atomic<Int>(0)
    let other = Atomic<Int>(0)

    func note(_ outcome: Outcome) {
        switch outcome {
        case .content: content.add(1, ordering: .relaxed)
        case .timeout: timeouts.add(1, ordering: .relaxed)
        case .other: other.add(1, ordering: .relaxed)
        }
    }
}
