/// Mount points of the kernel file systems the collectors read.
///
/// Every collector builds its paths from these, so the agent runs unchanged against a fixture tree
/// (`--path.sysfs`, `--path.procfs`, `--path.debugfs`, `--path.devfs`, named as in node_exporter).
/// The defaults here are the only place the real mount points are written down.
public struct SourceRoots: Sendable, Hashable {
    public var sysfs: String
    public var procfs: String
    public var debugfs: String
    public var devfs: String

    public static let defaultSysfs = "/sys"
    public static let defaultProcfs = "/proc"
    public static let defaultDebugfs = "/sys/kernel/debug"
    public static let defaultDevfs = "/dev"

    public init(
        sysfs: String = SourceRoots.defaultSysfs,
        procfs: String = SourceRoots.defaultProcfs,
        debugfs: String = SourceRoots.defaultDebugfs,
        devfs: String = SourceRoots.defaultDevfs
    ) {
        self.sysfs = SourceRoots.trimTrailingSlash(sysfs)
        self.procfs = SourceRoots.trimTrailingSlash(procfs)
        self.debugfs = SourceRoots.trimTrailingSlash(debugfs)
        self.devfs = SourceRoots.trimTrailingSlash(devfs)
    }

    /// Returns the path of `relative` under the sysfs root. `relative` has no leading slash (`class/hwmon`).
    public func sys(_ relative: String) -> String {
        sysfs + "/" + relative
    }

    /// Returns the path of `relative` under the procfs root (`stat`, `net/dev`).
    public func proc(_ relative: String) -> String {
        procfs + "/" + relative
    }

    /// Returns the path of `relative` under the debugfs root.
    public func debug(_ relative: String) -> String {
        debugfs + "/" + relative
    }

    /// Returns the path of `relative` under the devfs root (`nvme0`).
    public func dev(_ relative: String) -> String {
        devfs + "/" + relative
    }

    private static func trimTrailingSlash(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") {
            trimmed = trimmed.dropLast()
        }
        return String(trimmed)
    }
}
