#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A ``FileSystem`` that remembers directory listings, link targets, resolved paths and file
/// kinds, and requests them from the file system beneath again only at a rescan.
///
/// Collectors find their devices by listing directories and following links at every sample.
/// On a board these change only when a device comes or goes, and each listing costs `openat`,
/// `getdents64` and `close`, each `realpath` one `readlink` per path component. With this layer a
/// new device appears at the first call after the kernel announced it (``DeviceEvents``), or
/// within `intervalSeconds` where no announcement arrives. A removed one is also noticed when a
/// read fails with ENODEV, the error of a removed device's sysfs attribute, which starts a rescan
/// at once.
///
/// A rescan also goes to the layers beneath (``FileSystem/rescan()``), so a
/// ``SystemFileSystem`` then checks that each file it keeps open outside sysfs and procfs is still
/// the one its path names.
///
/// Only results that the same call would return again are remembered: success, ENOENT and
/// ENOTDIR. A timeout, EACCES or EIO goes to the caller without being remembered. Reads pass
/// through: a ``SystemFileSystem`` that keeps files open remembers missing files itself. Settled
/// reads (``withSettledAttributeBytes(_:_:)``) are the exception: their bytes are remembered until
/// the next rescan, because a label, a limit or an address changes only with the configuration.
public final class TreeLayoutCache: ForwardingFileSystem {
    public let base: any FileSystem
    private let clock: any Clock
    private let usesSystemClock: Bool
    private let intervalNanoseconds: UInt64
    /// Read at every call. It is an atomic in a `let`, because a stored `var` cost a
    /// `swift_beginAccess` pair, about 90 instructions a read (callgrind). Only the owning thread
    /// uses it.
    private let nextRescanNanoseconds: Atomic<UInt64>
    private let events: DeviceEvents?
    /// The ``DeviceEvents/generation`` at the last rescan. Only the owning thread uses it.
    private let seenEvents = Atomic<UInt64>(0)

    /// ``PathTable``s, because collectors ask for the same listings, links and kinds at every
    /// sample. With `Dictionary` the lookups of one cycle on node_exporter's tree cost about 65 000
    /// instructions, most of them in `Hasher` (callgrind).
    private let listings = PathTable<Result<[String], FileError>>()
    private let links = PathTable<Result<String, FileError>>()
    private let resolvedPaths = PathTable<Result<String, FileError>>()
    /// The kind of each path asked for, `.some(nil)` when it does not exist.
    private let kinds = PathTable<FileKind?>()
    private let writeOnlyPaths = PathTable<Bool>()
    /// The bytes of each settled attribute and the rescan they were read in. An entry read before
    /// the current rescan is read again at its next use. A rescan drops the entries not read since
    /// the rescan before, so the paths of removed devices do not stay.
    private let settled = PathTable<(bytes: [UInt8], rescan: Int)>()

    /// The number of rescans so far, the first one at creation included.
    public private(set) var rescans = 1

    /// The number of settled attributes held in memory, for tests.
    var settledCount: Int { settled.count }

    /// - Parameter events: the kernel's device announcements; with nil, only the interval and
    ///   ENODEV start a rescan.
    public init(
        base: any FileSystem, intervalSeconds: Double, clock: any Clock = SystemClock(), events: DeviceEvents? = nil
    ) {
        self.base = base
        self.clock = clock
        self.events = events
        self.seenEvents.store(events?.generation.load(ordering: .relaxed) ?? 0, ordering: .relaxed)
        self.usesSystemClock = clock is SystemClock
        self.intervalNanoseconds = UInt64(max(0, intervalSeconds) * 1e9)
        self.nextRescanNanoseconds = Atomic(clock.monotonicNanoseconds() + intervalNanoseconds)
    }

    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        try copyAttribute(path)
    }

    public func withAttributeBytes(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileError) {
        rescanIfDue()
        do {
            try base.withAttributeBytes(path, body)
        } catch {
            rescanIfDeviceRemoved(error)
            throw error
        }
    }

    /// Passes the bytes read at the first use since the last rescan. A failed read is not
    /// remembered, so the next call reads the file again.
    public func withSettledAttributeBytes(
        _ path: String, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        rescanIfDue()
        if let known = settled[path], known.rescan == rescans {
            known.bytes.withUnsafeBytes(body)
            return
        }

        var copy: [UInt8] = []
        try withAttributeBytes(path) { bytes in
            copy = Array(bytes)
            body(bytes)
        }
        settled.set((copy, rescans), for: path)
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        rescanIfDue()
        do {
            return try base.readFile(path, limit: limit)
        } catch {
            rescanIfDeviceRemoved(error)
            throw error
        }
    }

    public func listDirectory(_ path: String) throws(FileError) -> [String] {
        rescanIfDue()
        if let known = listings[path] {
            return try known.get()
        }

        let result = Result { () throws(FileError) in try base.listDirectory(path) }
        if Self.isRepeatable(result) {
            listings.set(result, for: path)
        }
        return try result.get()
    }

    public func readLink(_ path: String) throws(FileError) -> String {
        rescanIfDue()
        if let known = links[path] {
            return try known.get()
        }

        let result = Result { () throws(FileError) in try base.readLink(path) }
        if Self.isRepeatable(result) {
            links.set(result, for: path)
        }
        return try result.get()
    }

    public func resolvePath(_ path: String) throws(FileError) -> String {
        rescanIfDue()
        if let known = resolvedPaths[path] {
            return try known.get()
        }

        let result = Result { () throws(FileError) in try base.resolvePath(path) }
        if Self.isRepeatable(result) {
            resolvedPaths.set(result, for: path)
        }
        return try result.get()
    }

    public func fileKind(_ path: String) -> FileKind? {
        rescanIfDue()
        if let known = kinds[path] {
            return known
        }

        let kind = base.fileKind(path)
        kinds.set(kind, for: path)
        return kind
    }

    public func isWriteOnly(_ path: String) -> Bool {
        rescanIfDue()
        if let known = writeOnlyPaths[path] {
            return known
        }

        let writeOnly = base.isWriteOnly(path)
        writeOnlyPaths.set(writeOnly, for: path)
        return writeOnly
    }

    /// Forgets everything remembered, here and in the layers beneath.
    public func rescan() {
        listings.removeAll()
        links.removeAll()
        resolvedPaths.removeAll()
        kinds.removeAll()
        writeOnlyPaths.removeAll()
        settled.removeAll { $0.rescan < rescans }
        rescans += 1
        nextRescanNanoseconds.store(clock.monotonicNanoseconds() + intervalNanoseconds, ordering: .relaxed)
        if let events {
            seenEvents.store(events.generation.load(ordering: .relaxed), ordering: .relaxed)
        }
        base.rescan()
    }

    /// Runs at every call. The agent's ``SystemClock`` is read directly, because through the
    /// `any Clock` existential the read cost about 20 more instructions (callgrind).
    private func rescanIfDue() {
        let now = usesSystemClock ? SystemClock().monotonicNanoseconds() : clock.monotonicNanoseconds()
        if now >= nextRescanNanoseconds.load(ordering: .relaxed) || devicesChanged() {
            rescan()
        }
    }

    private func devicesChanged() -> Bool {
        guard let events else { return false }
        return events.generation.load(ordering: .relaxed) != seenEvents.load(ordering: .relaxed)
    }

    private func rescanIfDeviceRemoved(_ error: FileError) {
        if error.code == ENODEV {
            rescan()
        }
    }

    /// Returns whether the same call is sure to give `result` again while the tree stays as it is.
    private static func isRepeatable<Success>(_ result: Result<Success, FileError>) -> Bool {
        switch result {
        case .success:
            return true
        case .failure(let error):
            return error.isMissingPath
        }
    }
}
