import EmberCore
import EmberTestSupport
import Glibc
import Synchronization
import XCTest

/// A monotonic clock that moves only when the test advances it.
private final class StepClock: EmberCore.Clock {
    private let nanoseconds = Atomic<UInt64>(1_000_000_000)

    func monotonicNanoseconds() -> UInt64 { nanoseconds.load(ordering: .relaxed) }
    func wallSeconds() -> Double { 1_800_000_000 }

    func advance(nanoseconds step: UInt64) {
        nanoseconds.add(step, ordering: .relaxed)
    }
}

final class PermissionDenialCacheTests: XCTestCase {
    private let path = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_cur_freq"

    private func makeReader() -> (SourceReader, CountingFileSystem, StepClock) {
        let faults = FaultInjectingFileSystem()
        faults.inject(EACCES, at: path)
        let counting = CountingFileSystem(base: faults)
        let clock = StepClock()
        return (SourceReader(roots: SourceRoots(), fileSystem: counting, clock: clock), counting, clock)
    }

    func testDeniedReadIsNotRepeated() {
        let (reader, counting, _) = makeReader()

        for attempt in 1...5 {
            XCTAssertThrowsError(try reader.string(path), "attempt \(attempt)") { error in
                XCTAssertEqual((error as? FileError)?.code, EACCES)
                XCTAssertEqual((error as? FileError)?.path, path)
            }
        }
        XCTAssertEqual(counting.reads(of: path), 1)
    }

    func testDeniedReadIsRecheckedAfterInterval() {
        let (reader, counting, clock) = makeReader()
        XCTAssertThrowsError(try reader.string(path))

        clock.advance(nanoseconds: PermissionDenialCache.recheckNanoseconds - 1)
        XCTAssertThrowsError(try reader.string(path))
        XCTAssertEqual(counting.reads(of: path), 1, "still within the recheck interval")

        clock.advance(nanoseconds: 1)
        XCTAssertThrowsError(try reader.string(path))
        XCTAssertEqual(counting.reads(of: path), 2, "rechecked once the interval has passed")
    }

    func testOtherErrorsAreRetriedEverySample() {
        let faults = FaultInjectingFileSystem()
        faults.inject(EIO, at: path)
        let counting = CountingFileSystem(base: faults)
        let reader = SourceReader(roots: SourceRoots(), fileSystem: counting, clock: StepClock())

        for _ in 1...3 {
            XCTAssertThrowsError(try reader.string(path))
        }
        XCTAssertEqual(counting.reads(of: path), 3, "EIO may be transient, so it is read again")
    }

    func testDeniedListingIsRemembered() {
        let directory = "/sys/kernel/debug"
        let faults = FaultInjectingFileSystem()
        faults.inject(EPERM, at: directory)
        let counting = CountingFileSystem(base: faults)
        let reader = SourceReader(roots: SourceRoots(), fileSystem: counting, clock: StepClock())

        XCTAssertThrowsError(try reader.entries(directory))
        XCTAssertThrowsError(try reader.entries(directory)) { error in
            XCTAssertEqual((error as? FileError)?.code, EPERM)
            XCTAssertEqual((error as? FileError)?.operation, "opendir")
        }
        XCTAssertEqual(counting.reads(of: directory), 1)
    }
}
