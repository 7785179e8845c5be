/// A ``FileSystem`` wrapper that remembers reads denied by permissions (EACCES, EPERM) and
/// fails them again from memory, without a system call, until a recheck is due.
///
/// A file only root may read, such as `cpuinfo_cur_freq` (mode 0400), stays unreadable for the
/// agent's user. Without this, every sample would repeat one failed open per CPU, and each would
/// add a record to an audit log that watches denied opens. Permissions rarely change while the
/// agent runs (a udev rule, a `chmod`), so a denied path is tried again only after
/// ``recheckNanoseconds``. The remembered error is thrown unchanged, so collectors still record
/// the source as unavailable on every sample and `ember_source_available` stays 0.
///
/// ``SourceReader`` puts every file system it is given behind one of these, so every collector
/// follows this rule.
public final class PermissionDenialCache: ForwardingFileSystem {
    /// Five minutes, so a permission granted while the agent runs is picked up without a restart.
    public static let recheckNanoseconds: UInt64 = 300 * 1_000_000_000

    public let base: any FileSystem
    private let clock: any Clock
    /// Denied paths with the error and the monotonic time after which they are read again. A
    /// ``PathTable``, so the check at every read costs no exclusivity check.
    private let denied = PathTable<(error: FileError, recheckAt: UInt64)>()

    public init(base: any FileSystem, clock: any Clock = SystemClock()) {
        self.base = base
        self.clock = clock
    }

    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        try copyAttribute(path)
    }

    /// Spelled out without ``remembering(_:_:)``, whose closure cost a retain and release of
    /// `self` and `path` at every read (callgrind).
    public func withAttributeBytes(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileError) {
        try withBytes(path, settled: false, body)
    }

    /// Checks denials as ``withAttributeBytes(_:_:)`` does, and lets the layers beneath pass the
    /// bytes they keep.
    public func withSettledAttributeBytes(
        _ path: String, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        try withBytes(path, settled: true, body)
    }

    private func withBytes(
        _ path: String, settled: Bool, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        if !denied.isEmpty {
            try throwIfDenied(path)
        }
        do {
            try base.withAttributeBytes(path, settled: settled, body)
        } catch {
            rememberIfDenied(path, error)
            throw error
        }
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        try remembering(path) { () throws(FileError) in try base.readFile(path, limit: limit) }
    }

    public func listDirectory(_ path: String) throws(FileError) -> [String] {
        try remembering(path) { () throws(FileError) in try base.listDirectory(path) }
    }

    /// Runs `read` on `path` unless a denial of `path` is remembered and no recheck is due, and
    /// remembers the error when `read` fails for lack of permission.
    private func remembering<Value>(_ path: String, _ read: () throws(FileError) -> Value) throws(FileError) -> Value {
        // The common case, nothing denied, costs one branch and no hashing of `path`.
        if !denied.isEmpty {
            try throwIfDenied(path)
        }
        do {
            return try read()
        } catch {
            rememberIfDenied(path, error)
            throw error
        }
    }

    /// Throws the remembered denial of `path` until its recheck is due, and removes it then.
    private func throwIfDenied(_ path: String) throws(FileError) {
        guard let entry = denied[path] else { return }

        if clock.monotonicNanoseconds() < entry.recheckAt {
            throw entry.error
        }
        denied.removeValue(for: path)
    }

    private func rememberIfDenied(_ path: String, _ error: FileError) {
        if error.isPermissionDenied {
            denied.set((error, clock.monotonicNanoseconds() &+ Self.recheckNanoseconds), for: path)
        }
    }
}
