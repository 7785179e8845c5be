#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process's open-file limit (RLIMIT_NOFILE) and the number of connections it can hold.
public enum DescriptorBudget {
    /// Descriptors kept for everything but client connections: listeners, the wake pipe, standard streams,
    /// the sampler's file reads (one file open at a time per collector), state files and libraries.
    /// NOTE: this is an estimate with headroom, not a count. The agent opens far fewer at once on the fixtures.
    public static let reservedDescriptors: UInt64 = 64

    /// The soft limit before and after ``raiseSoftLimit()``.
    public struct Change: Sendable, Equatable {
        public let previous: UInt64
        public let current: UInt64
    }

    /// Raises the soft open-file limit to the hard limit, which needs no privilege, so a high
    /// `--web.max-connections` is not cut to the 1024 that many systems set as the soft default.
    /// Returns nil when the limit cannot be read or set.
    public static func raiseSoftLimit() -> Change? {
        var limit = rlimit()
        guard getrlimit(openFiles, &limit) == 0 else { return nil }

        let previous = UInt64(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return Change(previous: previous, current: previous) }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(openFiles, &limit) == 0 else { return nil }
        return Change(previous: previous, current: UInt64(limit.rlim_max))
    }

    /// Returns the current soft open-file limit, or `UInt64.max` when it is unlimited (RLIM_INFINITY, all bits
    /// set on Linux) or unreadable.
    public static func softLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(openFiles, &limit) == 0, limit.rlim_cur != rlim_t.max else { return .max }
        return UInt64(limit.rlim_cur)
    }

    /// Returns the largest connection limit, at most `configured` and at least 1, that fits in
    /// `openFileLimit`. Each connection may need two descriptors, because closing connections still
    /// lingering may fill up to one more limit's worth (see ``HTTPEventLoop``).
    public static func connectionLimit(configured: Int, openFileLimit: UInt64) -> Int {
        guard openFileLimit > reservedDescriptors else { return 1 }

        let fitting = (openFileLimit - reservedDescriptors) / 2
        return max(1, min(configured, Int(clamping: fitting)))
    }

    /// The maximum number of source files the sampler keeps open between samples. The
    /// collectors keep about 550 open on the RK3588 fixture. The cap bounds the kernel memory
    /// that open sysfs files hold (a page of seq_file buffer each, once read) on larger systems.
    public static let maximumKeptSourceFiles = 2048

    /// Returns how many source files the sampler may keep open: what `openFileLimit` leaves after
    /// the reserve and two descriptors for each of `connections`, at most ``maximumKeptSourceFiles``.
    public static func keptSourceFileLimit(openFileLimit: UInt64, connections: Int) -> Int {
        let reserved = reservedDescriptors + 2 * UInt64(max(0, connections))
        guard openFileLimit > reserved else { return 0 }
        return min(maximumKeptSourceFiles, Int(clamping: openFileLimit - reserved))
    }

    private static var openFiles: __rlimit_resource_t {
        __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    }
}
