#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// A state file in a directory, replaced so that a crash at any moment leaves either the old or the
/// new complete file. ``save(_:)`` writes a temporary file, fsyncs it, renames it over the old one
/// and fsyncs the directory.
public struct StateStore: Sendable {
    /// The counters and the minute tier's open chunks and buckets, saved every flush interval.
    public static let fileName = "ember.state"
    /// The hour tier's open chunks and buckets, saved when an hour closes.
    public static let hourFileName = "ember-hours.state"
    /// The sealed chunks of each tier, which never change, saved only when a chunk was sealed or
    /// dropped. Keeping them apart means a flush rewrites only what changed since the last one.
    public static let minuteChunksFileName = "ember-minute-chunks.state"
    public static let hourChunksFileName = "ember-hour-chunks.state"
    /// Maximum state file size in bytes, above which a file is rejected unread. By estimate, the full
    /// default history of a few thousand series is far smaller.
    static let readLimit = 512 << 20

    public let directory: String
    public let fileName: String
    public var path: String { directory + "/" + fileName }

    public init(directory: String, fileName: String = StateStore.fileName) {
        self.directory = directory
        self.fileName = fileName
    }

    /// Creates the directory (and missing parents, mode 0755) and checks that this user can write it.
    public func prepare() throws(FileError) {
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw FileError(operation: "mkdir", path: prefix, code: errno)
            }
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw FileError(operation: "access", path: directory, code: errno)
        }
    }

    /// The file whose `flock` keeps two agents from saving into the same directory.
    public static let lockFileName = "ember.lock"

    /// Takes an exclusive, non-blocking `flock` on `ember.lock` in the directory and returns its
    /// descriptor, which the caller keeps open while it saves there. The kernel releases the lock
    /// when the process exits, SIGKILL included, so a crash leaves no stale lock. Throws `EWOULDBLOCK`
    /// when another process has locked the directory.
    public func lock() throws(FileError) -> Int32 {
        let lockPath = directory + "/" + StateStore.lockFileName
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError(operation: "open", path: lockPath, code: errno) }

        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            throw FileError(operation: "flock", path: lockPath, code: code)
        }
        return descriptor
    }

    /// Returns the saved bytes, or nil when there is no state file yet.
    public func load() throws(FileError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw FileError(operation: "open", path: path, code: errno)
        }
        defer { close(descriptor) }

        // The size is checked before reading, so an oversized file costs no memory. Reserving it
        // keeps the array from growing by doubling to twice the file's size.
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileError(operation: "fstat", path: path, code: errno) }
        guard status.st_size <= StateStore.readLimit else { throw FileError(operation: "read", path: path, code: EFBIG) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(status.st_size))
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(operation: "read", path: path, code: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<count])
            guard bytes.count <= StateStore.readLimit else {
                throw FileError(operation: "read", path: path, code: EFBIG)
            }
        }
    }

    /// Replaces the state file with `bytes` atomically and durably.
    public func save(_ bytes: [UInt8]) throws(FileError) {
        try save { descriptor, temporary throws(FileError) in
            try FileByteSink.write(bytes, to: descriptor, at: 0, path: temporary)
        }
    }

    /// Replaces the state file atomically and durably with what `body` writes to the descriptor
    /// of a new temporary file, whose path it also gets for error messages.
    public func save(writing body: (_ descriptor: Int32, _ path: String) throws(FileError) -> Void) throws(FileError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError(operation: "open", path: temporary, code: errno) }

        do throws(FileError) {
            try body(descriptor, temporary)
            guard fsync(descriptor) == 0 else { throw FileError(operation: "fsync", path: temporary, code: errno) }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)

        guard rename(temporary, path) == 0 else { throw FileError(operation: "rename", path: path, code: errno) }
        try syncDirectory()
    }

    /// Renames a state file that cannot be loaded to `<name>.corrupt-<unix seconds>` and
    /// returns the new path, so it is kept for inspection and not read again. Only the newest
    /// ``movedAsideLimit`` such copies are kept, so a fault that recurs at every start cannot fill
    /// the disk.
    public func moveAside(nowSeconds: Double) throws(FileError) -> String {
        let target = path + ".corrupt-" + String(Int64(nowSeconds))
        guard rename(path, target) == 0 else { throw FileError(operation: "rename", path: path, code: errno) }
        removeOldMovedAside()
        try syncDirectory()
        return target
    }

    /// Maximum number of moved-aside copies kept per state file.
    public static let movedAsideLimit = 3

    /// Deletes all but the newest ``movedAsideLimit`` moved-aside copies of this file. A failed
    /// listing or deletion leaves the copies in place, because they are only kept for inspection.
    private func removeOldMovedAside() {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }

        let prefix = fileName + ".corrupt-"
        var copies: [(seconds: Int64, name: String)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(prefix), let seconds = Int64(name.dropFirst(prefix.count)) else { continue }
            copies.append((seconds, name))
        }

        for copy in copies.sorted(by: { $0.seconds > $1.seconds }).dropFirst(StateStore.movedAsideLimit) {
            unlink(directory + "/" + copy.name)
        }
    }

    /// Makes the rename durable. Without this, a power loss can bring back the old directory entry.
    private func syncDirectory() throws(FileError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(operation: "open", path: directory, code: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileError(operation: "fsync", path: directory, code: errno) }
    }
}
