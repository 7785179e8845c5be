#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A source of time for code that must be testable with a fake clock.
public protocol Clock: Sendable {
    /// Nanoseconds on a clock that never jumps (CLOCK_MONOTONIC), for intervals and deadlines.
    func monotonicNanoseconds() -> UInt64
    /// Seconds since the Unix epoch (CLOCK_REALTIME), for timestamps shown to people.
    func wallSeconds() -> Double
}

/// The system clocks.
public struct SystemClock: Clock {
    public init() {}

    public func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    public func wallSeconds() -> Double {
        WallClock.now()
    }
}

/// Wall-clock helpers that need no Foundation.
public enum WallClock {
    /// Seconds since the Unix epoch, with nanosecond resolution.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Formats `seconds` as RFC 3339 UTC with milliseconds, as `2026-12-04T21:14:57.123Z`.
    public static func iso8601(_ seconds: Double) -> String {
        var whole = time_t(seconds.rounded(.down))
        let millis = Int((seconds - Double(whole)) * 1000)
        var parts = tm()
        gmtime_r(&whole, &parts)

        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2)
            + "T" + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2)
            + "." + pad(Int32(millis), 3) + "Z"
    }
}
