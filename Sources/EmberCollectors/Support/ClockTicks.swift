#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The kernel's USER_HZ: the tick rate of the `clock_t` values in `/proc/stat` and in cpufreq's
/// `stats/time_in_state`.
public enum ClockTicks {
    /// Ticks per second from `sysconf(_SC_CLK_TCK)`; 100 on arm64 and x86, which is also the
    /// fallback when `sysconf` fails.
    public static let perSecond: Double = {
        let value = sysconf(Int32(_SC_CLK_TCK))
        return value > 0 ? Double(value) : 100
    }()
}
