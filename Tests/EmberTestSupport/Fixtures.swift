import EmberCore

/// Locates the committed fixture trees under `Tests/Fixtures`, relative to this source file, so
/// tests run from any working directory.
public enum Fixtures {
    /// The absolute path of `Tests/Fixtures`.
    public static let directory: String = {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(2)  // EmberTestSupport/Fixtures.swift
        return components.joined(separator: "/") + "/Fixtures"
    }()

    /// The roots of a fixture tree that has `sys/` and `proc/` folders, such as `node-exporter` or
    /// `rk3588/opi5plus-mainline`.
    public static func roots(_ name: String) -> SourceRoots {
        let base = directory + "/" + name
        return SourceRoots(sysfs: base + "/sys", procfs: base + "/proc", debugfs: base + "/sys/kernel/debug",
                           devfs: base + "/dev")
    }
}
