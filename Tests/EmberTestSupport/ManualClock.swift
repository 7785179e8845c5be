import EmberCore
import Synchronization

/// A clock whose monotonic time moves only when a test advances it; safe to read from a
/// collector's thread while the test thread advances it.
public final class ManualClock: EmberCore.Clock {
    private let nanoseconds = Atomic<UInt64>(1_000_000_000)

    public init() {}

    public func monotonicNanoseconds() -> UInt64 {
        nanoseconds.load(ordering: .sequentiallyConsistent)
    }

    public func wallSeconds() -> Double {
        1_800_000_000 + Double(monotonicNanoseconds()) / 1e9
    }

    public func advance(seconds: Double) {
        nanoseconds.add(UInt64(seconds * 1e9), ordering: .sequentiallyConsistent)
    }
}
