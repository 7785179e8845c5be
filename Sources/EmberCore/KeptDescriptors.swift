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
    private let taken = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// The descriptors kept open now.
    public var inUse: Int {
        taken.load(ordering: .relaxed)
    }

    /// Takes one descriptor from the allowance, or returns false when all are taken.
    func take() -> Bool {
        var current = taken.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = taken.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged {
                return true
            }
            current = original
        }
        return false
    }

    func giveBack(_ count: Int = 1) {
        taken.subtract(count, ordering: .relaxed)
    }
}

/// Source files one reader keeps open between samples, so a later sample reads each again with
/// one `pread` at offset 0 instead of `open`, `read` and `close`.
///
/// sysfs and procfs build a file's content anew at every read from offset 0, and a descriptor of a
/// removed device's attribute fails with ENODEV. So on those file systems a kept descriptor reads
/// exactly what a fresh `open` would. An ordinary directory tree, such as a fixture, differs: a
/// file replaced by `rename` or deleted is still read through the old descriptor. Descriptors on
/// such file systems are therefore closed at every rescan (``closePlainFiles()``).
///
/// Used by one thread at a time, like the ``SystemFileSystem`` that owns it.
final class KeptDescriptors {
    private struct Entry {
        let descriptor: Int32
        /// Whether the file is on sysfs, procfs or debugfs, whose descriptors stay valid across rescans.
        let isKernelFile: Bool
    }

    private let allowance: DescriptorAllowance
    private var entries: [PathKey: Entry] = [:]

    init(allowance: DescriptorAllowance) {
        self.allowance = allowance
    }

    deinit {
        closeAll()
    }

    var count: Int {
        entries.count
    }

    /// Returns the kept descriptor of `path`, or nil when none is kept.
    func descriptor(for path: String) -> Int32? {
        entries[PathKey(path)]?.descriptor
    }

    /// Keeps `descriptor`, just read successfully, for `path`. Returns false, and keeps nothing,
    /// when the allowance is used up or the file is not a regular file: a FIFO or a character
    /// device cannot be re-read at offset 0.
    func keep(_ descriptor: Int32, for path: String) -> Bool {
        guard entries[PathKey(path)] == nil, let isKernelFile = Self.kernelFileKind(descriptor) else { return false }
        guard allowance.take() else { return false }

        entries[PathKey(path)] = Entry(descriptor: descriptor, isKernelFile: isKernelFile)
        return true
    }

    /// Closes the kept descriptor of `path`, after a read through it failed.
    func close(_ path: String) {
        guard let entry = entries.removeValue(forKey: PathKey(path)) else { return }
        _ = Glibc.close(entry.descriptor)
        allowance.giveBack()
    }

    /// Closes the descriptors of files that are not on a kernel file system, so the next read
    /// opens the path again and reads a file replaced since, or fails for one removed.
    func closePlainFiles() {
        let plain = entries.filter { !$0.value.isKernelFile }
        for (key, entry) in plain {
            entries[key] = nil
            _ = Glibc.close(entry.descriptor)
        }
        allowance.giveBack(plain.count)
    }

    func closeAll() {
        for entry in entries.values {
            _ = Glibc.close(entry.descriptor)
        }
        allowance.giveBack(entries.count)
        entries = [:]
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

/// A file path as a dictionary key that hashes its length and last bytes only.
///
/// The paths one reader looks up share long prefixes (`/sys/class/hwmon/hwmon3/`) and differ
/// near the end, in the device and attribute names. Hashing every byte of a 90-byte path cost
/// about 800 instructions a lookup (callgrind), and readers look paths up at every read.
/// Equality still compares whole paths, so two paths with the same tail only share a bucket.
struct PathKey: Hashable {
    let path: String

    /// Long enough for `cpu12/cpufreq/scaling_cur_freq` and `hwmon10/temp12_input` to differ.
    private static let hashedTailBytes = 40

    init(_ path: String) {
        self.path = path
    }

    static func == (lhs: PathKey, rhs: PathKey) -> Bool {
        lhs.path == rhs.path
    }

    /// Combines the length and the tail as 8-byte words, because `Hasher.combine(bytes:)` took
    /// about 10 instructions a byte and `combine(_: UInt64)` about 44 a word (callgrind).
    func hash(into hasher: inout Hasher) {
        var path = path
        path.withUTF8 { bytes in
            hasher.combine(bytes.count)
            let tail = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(Self.hashedTailBytes)))
            var offset = 0
            while offset + 8 <= tail.count {
                hasher.combine(tail.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            while offset < tail.count {
                hasher.combine(tail[offset])
                offset += 1
            }
        }
    }
}
