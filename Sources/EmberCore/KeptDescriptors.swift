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
/// file replaced by `rename` or deleted is still read through the old descriptor. Descriptors on
/// such file systems are therefore closed at every rescan (``startRescan()``).
///
/// Used by one thread at a time, like the ``SystemFileSystem`` that owns it.
final class KeptDescriptors {
    private enum Entry {
        /// An open file, and whether it is on sysfs, procfs or debugfs, whose descriptors stay
        /// valid across rescans.
        case open(descriptor: Int32, isKernelFile: Bool)
        /// A path whose `open` failed with this errno, ENOENT or ENOTDIR.
        case missing(code: Int32)
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
    @inline(__always)
    func descriptor(for path: String) throws(FileError) -> Int32? {
        switch entries[path] {
        case .open(let descriptor, _)?:
            return descriptor
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
        guard let isKernelFile = Self.kernelFileKind(descriptor), allowance.take() else { return false }

        entries.set(.open(descriptor: descriptor, isKernelFile: isKernelFile), for: path)
        count += 1
        return true
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
        guard case .open(let descriptor, _)? = entries.removeValue(for: path) else { return }
        closeDescriptor(descriptor)
    }

    /// Forgets missing paths and closes the descriptors of files that are not on a kernel file
    /// system, so the next read opens the path again: it reads a file replaced since, finds one
    /// created since, and fails for one removed.
    func startRescan() {
        entries.removeAll { entry in
            switch entry {
            case .open(let descriptor, let isKernelFile):
                if !isKernelFile {
                    closeDescriptor(descriptor)
                }
                return !isKernelFile
            case .missing:
                return true
            }
        }
    }

    func closeAll() {
        entries.forEach { _, entry in
            if case .open(let descriptor, _) = entry {
                closeDescriptor(descriptor)
            }
        }
        entries.removeAll()
    }

    private func closeDescriptor(_ descriptor: Int32) {
        _ = Glibc.close(descriptor)
        allowance.giveBack()
        count -= 1
    }

    /// Returns whether a regular file is on sysfs, procfs or debugfs (true) or elsewhere (false),
    /// or nil for anything but a regular file.
    private static func kernelFileKind(_ descriptor: Int32) -> Bool? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }

        var type: Int64 = 0
        guard ember_file_system_type(descriptor, &type) == 0 else { return false }
        return kernelFileSystemMagics.contains(type)
    }

    /// `f_type` of sysfs, procfs and debugfs, from the kernel's include/uapi/linux/magic.h.
    private static let kernelFileSystemMagics: Set<Int64> = [0x6265_6572, 0x9fa0, 0x6462_6720]
}
