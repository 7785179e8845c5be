import EmberCore
import EmberTestSupport

/// The trees under `Tests/Fixtures/faults`, each a fault seen on real machines (see its README).
enum ReplayedFault {
    static func roots(_ fixture: String) -> SourceRoots {
        Fixtures.roots("faults/" + fixture)
    }

    /// Returns the absolute path of `relative` under the fixture's `sys/`.
    static func sys(_ fixture: String, _ relative: String) -> String {
        roots(fixture).sys(relative)
    }

    /// Returns a file system that fails each `(relative path, errno)` of `faults` under the
    /// fixture's `sys/`.
    static func injecting(_ fixture: String, _ faults: [(String, Int32)]) -> FaultInjectingFileSystem {
        let fileSystem = FaultInjectingFileSystem()
        for (relative, code) in faults {
            fileSystem.inject(code, at: sys(fixture, relative))
        }
        return fileSystem
    }
}
