#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEmberShims
import Synchronization

/// The number of source files all collectors together may keep open between samples.
///
/// Shared by every collector's ``SystemFileSystem``. The agent sizes it from the open-file limit
/// after the HTTP server's share, so kept files never cost a client connection.
public final class DescriptorAllowance: Sendable {
    public let limit: Int
    private let descriptorsInUse = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// The descriptors kept open now.
    public var inUse: Int {
        descriptorsInUse.load(ordering: .relaxed)
    }

    /// Takes one descriptor from the allowance, or returns false when all are taken.
    func take() -> Bool {
        var current = descriptorsInUse.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = descriptorsInUse.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged {
                return true
            }
            current = original
        }
        return false
    }

    func giveBack(_ count: Int = 1) {
        descriptorsInUse.subtract(count, ordering: .relaxed)
    }
}

/// Source files one reader keeps open between samples, so a later sample reads each again with
/// one `pread` at offset 0 instead of `open`, `read` and `close`. Paths that did not exist are
/// remembered in the same table until the next rescan, so a read makes one lookup either way.
///
/// sysfs and procfs build a file's content anew at every read from offset 0, and a descriptor of a
/// removed device's attribute fails with ENODEV. So on those file systems a kept descriptor reads
/// exactly what a fresh `open` would. An ordinary directory tree, such as a fixture, differs: a
/// file replaced by `rename` or deleted is still read through the old descriptor. So every rescan
/// (``startRescan()``) marks such a descriptor unchecked, and its next read first calls `stat` on
/// the path. The same device and inode as at `open` keep the descriptor. Another inode closes it,
/// so the path is opened again, and ENOENT or ENOTDIR closes it and remembers the path as missing.
/// Closing every such descriptor at a rescan instead cost `openat`, `fstat`, `fstatfs` and `close`
/// for each of about 300 files of the node_exporter fixture (strace).
///
/// The inode comparison cannot mistake a new file for the kept one: an inode number is reused only
/// after its file is freed, and an open descriptor keeps its file from being freed.
///
/// Used by one thread at a time, like the ``SystemFileSystem`` that owns it.
final class KeptDescriptors {
    private enum Entry {
        /// An open file on sysfs, procfs or debugfs, whose descriptors stay valid across rescans.
        case kernelFile(descriptor: Int32)
        /// An open file on any other file system, the identity it had at `open`, and whether the
        /// path has named that file since the last rescan.
        case plainFile(descriptor: Int32, identity: FileIdentity, isChecked: Bool)
        /// A path whose `open` failed with this errno, ENOENT or ENOTDIR.
        case missing(code: Int32)

        /// The open descriptor, or nil for a missing path.
        var descriptor: Int32? {
            switch self {
            case .kernelFile(let descriptor), .plainFile(let descriptor, _, _):
                return descriptor
            case .missing:
                return nil
            }
        }
    }

    /// The device and inode numbers of a file, from `stat`.
    private struct FileIdentity: Equatable {
        let device: UInt64
        let inode: UInt64

        init(_ info: stat) {
            device = UInt64(truncatingIfNeeded: info.st_dev)
            inode = UInt64(truncatingIfNeeded: info.st_ino)
        }
    }

    private let allowance: DescriptorAllowance
    /// A ``PathTable``, because this lookup runs at every read: a `Dictionary` cost about 1 070
    /// instructions a lookup of a sysfs path, with hashing and exclusivity checks (callgrind).
    private let entries = PathTable<Entry>()

    /// The number of open files kept.
    private(set) var count = 0

    init(allowance: DescriptorAllowance) {
        self.allowance = allowance
    }

    deinit {
        closeAll()
    }

    /// Returns the kept descriptor of `path`, or nil when none is kept. Throws the error of the
    /// failed `open`, without a system call, while `path` is remembered as missing.
    ///
    /// The first read of an unchecked ordinary file after a rescan calls `stat` on the path, see
    /// ``check(_:for:identity:)``.
    @inline(__always)
    func descriptor(for path: String) throws(FileError) -> Int32? {
        switch entries[path] {
        case .kernelFile(let descriptor)?, .plainFile(let descriptor, _, isChecked: true)?:
            return descriptor
        case .plainFile(let descriptor, let identity, isChecked: false)?:
            return try check(descriptor, for: path, identity: identity)
        case .missing(let code)?:
            throw FileError(operation: "open", path: path, code: code)
        case nil:
            return nil
        }
    }

    /// Keeps `descriptor`, just read successfully, for `path`. Returns false, and keeps nothing,
    /// when the allowance is used up or the file is not a regular file: a FIFO or a character
    /// device cannot be re-read at offset 0.
    func keep(_ descriptor: Int32, for path: String) -> Bool {
        guard let entry = Self.entry(for: descriptor), allowance.take() else { return false }

        entries.set(entry, for: path)
        count += 1
        return true
    }

    /// Keeps `descriptor`, whose first read failed with `failure`, when the file is on a kernel file
    /// system and the error came from the attribute's `show` function (``isValueError(_:)``). Returns
    /// false, and keeps nothing, otherwise.
    ///
    /// A sysfs attribute that has no value in the device's state, such as `speed` of a link that is
    /// down (EINVAL), fails at every read, and opening it again reaches the same kernel object. Kept
    /// closed, it cost an `openat` and a `close` at every sample: 12 of each a sample on an x86 VM
    /// with a few virtual interfaces (strace).
    func keep(_ descriptor: Int32, for path: String, after failure: FileError) -> Bool {
        guard Self.isValueError(failure), case .kernelFile? = Self.entry(for: descriptor), allowance.take() else {
            return false
        }

        entries.set(.kernelFile(descriptor: descriptor), for: path)
        count += 1
        return true
    }

    /// Returns whether the kept descriptor of `path` stays open after a read through it failed with
    /// `failure`: a file on a kernel file system and an error of its `show` function.
    func staysOpen(_ path: String, after failure: FileError) -> Bool {
        guard Self.isValueError(failure), case .kernelFile? = entries[path] else { return false }
        return true
    }

    /// Errors an attribute's `show` function returns while the device is there: no value in this
    /// state (EINVAL, EOPNOTSUPP, ENODATA), busy (EAGAIN, EBUSY) or a failed bus transfer (EIO).
    /// ENODEV, a removed device, is not one of them, and neither is an abandoned read.
    private static func isValueError(_ failure: FileError) -> Bool {
        guard failure.timeout == nil, failure.operation == "read" else { return false }

        switch failure.code {
        case EINVAL, EOPNOTSUPP, ENODATA, EAGAIN, EBUSY, EIO:
            return true
        default:
            return false
        }
    }

    /// Remembers until the next rescan that opening `path` failed with `error`, when the error is
    /// ENOENT or ENOTDIR from `open`. Other errors, such as EACCES or a timeout, are not remembered.
    func rememberIfMissing(_ path: String, _ error: FileError) {
        // ``descriptor(for:)`` rebuilds the error from the code, as `open` failed.
        guard error.isMissingPath, error.operation == "open", error.path == path else { return }
        entries.set(.missing(code: error.code), for: path)
    }

    /// Closes the kept descriptor of `path`, after a read through it failed.
    func close(_ path: String) {
        guard let descriptor = entries.removeValue(for: path)?.descriptor else { return }
        closeDescriptor(descriptor)
    }

    /// Closes the kept descriptors of every file below the directory of `path`, after a read of
    /// `path` failed with ENODEV. The device is gone, and its settled attributes, which no sample
    /// reads again once a rescan no longer lists the device, would otherwise stay open.
    ///
    /// A device's files in a directory above that of `path` stay open here, such as the `name` of
    /// an hwmon chip whose values sit in `hwmonN/device/`. The rescan that the ENODEV starts closes
    /// them (``startRescan()``).
    func closeDirectory(of path: String) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let directory = path[...slash]

        var removed: [String] = []
        entries.forEach { entryPath, entry in
            if entry.descriptor != nil, entryPath.hasPrefix(directory) {
                removed.append(entryPath)
            }
        }
        for entryPath in removed {
            close(entryPath)
        }
    }

    /// Forgets missing paths and closes kept files that are gone or no longer read. Marks the
    /// descriptors of files that are not on a kernel file system unchecked, so the next read of
    /// each finds a file replaced or removed since.
    ///
    /// A kept file can outlive its device without a failed read. A removed device's settled
    /// attribute is not read again once the rescan no longer lists the device, nor is an hwmon
    /// chip's `name` in `hwmonN/` when its values sit in `hwmonN/device/`. So this closes a kernel
    /// file whose path `stat` no longer finds, at one `stat` per kept kernel file. It also closes
    /// an ordinary file that no read checked since the last rescan.
    func startRescan() {
        let removed = removedKernelFiles()
        entries.updateAll { entry in
            switch entry {
            case .kernelFile:
                return true
            case .plainFile(let descriptor, let identity, let isChecked):
                guard isChecked else {
                    closeDescriptor(descriptor)
                    return false
                }
                entry = .plainFile(descriptor: descriptor, identity: identity, isChecked: false)
                return true
            case .missing:
                return false
            }
        }

        for (path, error) in removed {
            close(path)
            rememberIfMissing(path, error)
        }
    }

    /// Returns the kept kernel files whose path `stat` fails with ENOENT or ENOTDIR, each with
    /// the error `open` would give.
    private func removedKernelFiles() -> [(path: String, error: FileError)] {
        var removed: [(path: String, error: FileError)] = []
        entries.forEach { path, entry in
            guard case .kernelFile = entry else { return }
            var info = stat()
            guard path.withCString({ stat($0, &info) }) != 0 else { return }
            let error = FileError(operation: "open", path: path, code: errno)
            if error.isMissingPath {
                removed.append((path, error))
            }
        }
        return removed
    }

    func closeAll() {
        entries.forEach { _, entry in
            if let descriptor = entry.descriptor {
                closeDescriptor(descriptor)
            }
        }
        entries.removeAll()
    }

    /// Checks that `path` still names the file `descriptor` was opened from, and returns it if so.
    /// Otherwise closes the descriptor. Returns nil when the path names another file or `stat`
    /// fails with an error other than ENOENT and ENOTDIR, so the caller opens the path again.
    /// Throws the error `open` would, and remembers the path as missing, on ENOENT and ENOTDIR.
    ///
    /// Kept apart from ``descriptor(for:)``, which is inlined into every read, because it runs
    /// once per file and rescan.
    @inline(never)
    private func check(_ descriptor: Int32, for path: String, identity: FileIdentity) throws(FileError) -> Int32? {
        var info = stat()
        guard path.withCString({ stat($0, &info) }) == 0 else {
            let error = FileError(operation: "open", path: path, code: errno)
            close(path)
            guard error.isMissingPath else { return nil }
            rememberIfMissing(path, error)
            throw error
        }

        if FileIdentity(info) == identity {
            entries.set(.plainFile(descriptor: descriptor, identity: identity, isChecked: true), for: path)
            return descriptor
        }
        close(path)
        return nil
    }

    private func closeDescriptor(_ descriptor: Int32) {
        _ = Glibc.close(descriptor)
        allowance.giveBack()
        count -= 1
    }

    /// Returns the entry to keep for a regular file, or nil for anything but a regular file.
    private static func entry(for descriptor: Int32) -> Entry? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }

        var type: Int64 = 0
        if ember_file_system_type(descriptor, &type) == 0, kernelFileSystemMagics.contains(type) {
            return .kernelFile(descriptor: descriptor)
        }
        return .plainFile(descriptor: descriptor, identity: FileIdentity(info), isChecked: true)
    }

    /// `f_type` of sysfs, procfs and debugfs, from the kernel's include/uapi/linux/magic.h.
    private static let kernelFileSystemMagics: Set<Int64> = [0x6265_6572, 0x9fa0, 0x6462_6720]
}
