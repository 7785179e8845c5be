#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// The committed fixture trees under `Tests/Fixtures`.
public enum FixtureTrees {
    /// The absolute path of `Tests/Fixtures`: `EMBER_FIXTURES` when set, else found relative to this
    /// source file, so a fuzz binary built in this checkout runs from any directory.
    public static let directory: String = {
        if let path = getenv("EMBER_FIXTURES") {
            return String(cString: path)
        }
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(4)  // Fuzzing/Sources/FuzzSupport/FixtureTrees.swift
        return components.joined(separator: "/") + "/Tests/Fixtures"
    }()

    /// Returns the roots of a tree with `sys/` and `proc/`, laid out as the tests' `Fixtures.roots` does.
    public static func roots(_ tree: String) -> SourceRoots {
        let base = directory + "/" + tree
        return SourceRoots(sysfs: base + "/sys", procfs: base + "/proc", debugfs: base + "/sys/kernel/debug",
                           devfs: base + "/dev")
    }
}
