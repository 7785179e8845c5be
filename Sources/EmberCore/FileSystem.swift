#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEmberShims

/// The file operations collectors need, as one seam so tests can put faults between a collector
/// and the kernel's files.
///
/// Implementations are used from one thread at a time (each collector owns its reader), so they
/// may keep scratch buffers.
public protocol FileSystem: AnyObject {
    /// Reads a sysfs attribute of at most ``SystemFileSystem/attributeLimit`` bytes. That is one
    /// `read`, and more only while the content has no trailing newline (a short read) and the limit
    /// is not reached, so a driver that returns EAGAIN or endless data cannot make the caller spin.
    func readAttribute(_ path: String) throws(FileError) -> [UInt8]

    /// Reads an attribute as ``readAttribute(_:)`` does and passes its bytes to `body`, which must
    /// not keep them: they are valid only until `body` returns. `body` runs once when the read
    /// succeeds and not at all when it throws.
    ///
    /// The readers of the agent implement it without the new array of every read, about 300
    /// instructions with `malloc` and `free` (callgrind). The default reads the array.
    func withAttributeBytes(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileError)

    /// Reads an attribute that changes only when the system is reconfigured, such as a hardware
    /// address, a sensor's label or limit, or a device's identity, as ``withAttributeBytes(_:_:)``
    /// does. A layer that remembers the tree's layout may pass the bytes of the first successful
    /// read since its last ``rescan()`` instead of reading the file again.
    ///
    /// A value that changes while the system runs, such as a temperature or a link speed, must
    /// not be read this way: a change would show only after the next rescan.
    func withSettledAttributeBytes(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileError)

    /// Reads a whole file (procfs tables such as `/proc/stat`) up to `limit` bytes.
    func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8]

    /// Lists the names in a directory, without `.` and `..`, in no particular order.
    func listDirectory(_ path: String) throws(FileError) -> [String]

    /// Returns the target of a symbolic link as stored in the link.
    func readLink(_ path: String) throws(FileError) -> String

    /// Returns the canonical absolute path, with every symbolic link resolved.
    func resolvePath(_ path: String) throws(FileError) -> String

    /// Returns the kind of file at `path`, following links, or nil when it does not exist.
    func fileKind(_ path: String) -> FileKind?

    /// Returns whether `path` has no read permission bit for anyone, as sysfs marks a write-only
    /// attribute (mode 0200). Reading one fails with EIO even as root.
    func isWriteOnly(_ path: String) -> Bool

    /// Runs `call`, which reads `path` through code outside this file system (a C library that
    /// opens and reads the file itself), under the deadline and timeout skipping that
    /// ``readAttribute(_:)`` gets.
    ///
    /// When the deadline passes during `call`, its result is discarded and a ``FileError`` with an
    /// abandoned ``ReadTimeout`` is thrown. So `call` must return, with any result, when a system
    /// call in it fails with EINTR. glibc's stdio does, but a loop that retries EINTR does not.
    /// A call in an uninterruptible sleep returns only when the kernel ends it, and then counts as
    /// timed out too. `call` must not read through this file system itself.
    func withReadDeadline<Value>(reading path: String, _ call: () throws -> Value) throws -> Value

    /// Forgets what this layer remembers of the tree between calls, such as directory listings or
    /// open descriptors of ordinary files, so later calls see files added, removed or replaced since.
    func rescan()
}

extension FileSystem {
    /// Reads the array from ``readAttribute(_:)``, for file systems that have no buffer to lend.
    public func withAttributeBytes(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileError) {
        try readAttribute(path).withUnsafeBytes(body)
    }

    /// Reads the file again, for file systems that remember nothing between calls. Layers that
    /// only forward calls inherit this too, so a fault-injecting layer also fails settled reads.
    public func withSettledAttributeBytes(
        _ path: String, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        try withAttributeBytes(path, body)
    }

    /// Reads through ``withSettledAttributeBytes(_:_:)`` when `settled` is true, else through
    /// ``withAttributeBytes(_:_:)``.
    public func withAttributeBytes(
        _ path: String, settled: Bool, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        if settled {
            try withSettledAttributeBytes(path, body)
        } else {
            try withAttributeBytes(path, body)
        }
    }

    /// Copies the bytes from ``withSettledAttributeBytes(_:_:)`` into a new array, for callers that
    /// keep them.
    public func readSettledAttribute(_ path: String) throws(FileError) -> [UInt8] {
        var copy: [UInt8] = []
        try withSettledAttributeBytes(path) { copy = Array($0) }
        return copy
    }

    /// Copies the bytes from ``withAttributeBytes(_:_:)`` into a new array, for the readers that
    /// implement that and build ``readAttribute(_:)`` on it.
    func copyAttribute(_ path: String) throws(FileError) -> [UInt8] {
        var copy: [UInt8] = []
        try withAttributeBytes(path) { copy = Array($0) }
        return copy
    }

    /// Runs `call` without a deadline, for file systems that have none.
    public func withReadDeadline<Value>(reading path: String, _ call: () throws -> Value) throws -> Value {
        try call()
    }

    /// Does nothing, for file systems that remember nothing between calls.
    public func rescan() {}

    public func isWriteOnly(_ path: String) -> Bool {
        var info = stat()
        guard path.withCString({ stat($0, &info) }) == 0 else { return false }
        return info.st_mode & (S_IRUSR | S_IRGRP | S_IROTH) == 0
    }
}

/// The type of a path as `stat` reports it, reduced to the cases collectors branch on.
public enum FileKind: Sendable {
    case regular
    case directory
    case other
}

/// The real file system, read through POSIX calls.
///
/// Paths go to C through `withCString`. Passing a `String` where C takes `const char *` copies it
/// into a new array on every call (two allocations, measured with valgrind's DHAT), and the
/// collectors make over a thousand such calls per sample on the RK3588 fixture.
public final class SystemFileSystem: FileSystem {
    /// A sysfs attribute is at most one page; 64 KiB covers the 64 KiB pages of some arm64 kernels.
    public static let attributeLimit = 65_536

    /// Scratch space for one `read`, left uninitialised so that pages no read reaches stay without
    /// memory behind them. A zero-filled buffer kept 64 KiB resident for each of the agent's readers
    /// (18 on the RK3588 fixture), although most attributes are a few bytes long.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: attributeLimit, alignment: 16)
    private let readGuard: ReadGuard?
    /// Files kept open between calls, when the reader was given an allowance.
    private let kept: KeptDescriptors?

    /// Creates a reader whose calls wait as long as the kernel takes. Without an allowance it
    /// closes every file it opens before returning; with one it keeps files open as
    /// ``init(readTimeoutSeconds:keepingFilesOpen:)`` describes.
    public init(keepingFilesOpen allowance: DescriptorAllowance? = nil) {
        readGuard = nil
        kept = allowance.map(KeptDescriptors.init)
    }

    /// Creates a reader that abandons an `open` plus `read` sequence still blocked after
    /// `readTimeoutSeconds`, and throws a ``FileError`` with ETIMEDOUT and a ``ReadTimeout``.
    ///
    /// With `keepingFilesOpen`, a regular file read without error stays open while the allowance
    /// lasts, and later reads of the same path are one `pread` at offset 0 each. A read through a
    /// kept descriptor that fails closes it, so the next call opens the path again. A path that
    /// does not exist (ENOENT, ENOTDIR) fails from memory until the next ``rescan()``. After a
    /// rescan, the first read of a file outside sysfs, procfs and debugfs checks with `stat` that
    /// the path still names the file kept open, and opens the path again when it does not.
    ///
    /// NOTE: `opendir`, `readdir`, `readlink` and `realpath` (or its `open` with O_PATH) are not
    /// guarded, because sysfs and procfs serve them from the kernel's own tables without calling
    /// into a driver.
    public init(readTimeoutSeconds: Double, keepingFilesOpen allowance: DescriptorAllowance? = nil) {
        readGuard = ReadGuard(timeoutSeconds: readTimeoutSeconds)
        kept = allowance.map(KeptDescriptors.init)
    }

    deinit {
        buffer.deallocate()
        readGuard?.unregister()
    }

    /// The number of files this reader keeps open now.
    public var keptOpenFiles: Int {
        kept?.count ?? 0
    }

    public func rescan() {
        kept?.startRescan()
    }

    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        try copyAttribute(path)
    }

    /// Spelled out without ``guarded(_:)`` and ``withDescriptor(_:_:)``, whose closures cost a
    /// retain and release of `self` and `path` each at every read (callgrind).
    public func withAttributeBytes(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileError) {
        // Optional chaining rather than `if let`, which retained and released the guard (callgrind).
        readGuard?.arm()
        let count: Int
        do {
            count = try readAttribute(path)
        } catch {
            readGuard?.disarm()
            throw error
        }
        readGuard?.disarm()
        // `body` runs after the guard, so a deadline passing in it cannot discard a finished read.
        body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        try guarded { () throws(FileError) -> [UInt8] in
            try withDescriptor(path) { fd throws(FileError) in try readFile(fd, path: path, limit: limit) }
        }
    }

    /// Reads an attribute into `buffer` from offset 0 and returns its length.
    @inline(__always)
    private func readAttribute(_ fd: Int32, path: String) throws(FileError) -> Int {
        var count = try readGuarded(fd, path: path, at: 0)
        // One read returns a whole sysfs attribute, and sysfs ends values with a newline. A
        // value without one may be the start of a short read (a pipe, FUSE, 9p), so reading
        // goes on until end of file. NOTE: a short read that stops right after a newline of a
        // multi-line attribute is taken as the whole value.
        while count > 0, count < buffer.count, buffer[count - 1] != UInt8(ascii: "\n") {
            let more = try readGuarded(fd, path: path, at: count)
            if more == 0 { break }
            count += more
        }
        return count
    }

    private func readFile(_ fd: Int32, path: String, limit: Int) throws(FileError) -> [UInt8] {
        var content: [UInt8] = []
        while true {
            let count = try readGuarded(fd, path: path, at: content.count, into: 0)
            if count == 0 {
                return content
            }
            content.append(contentsOf: buffer[0..<count])
            if content.count > limit {
                throw FileError(operation: "read", path: path, code: 0)
            }
        }
    }

    /// Reads the attribute at `path` into `buffer` through ``descriptor(for:)`` and returns its length.
    ///
    /// Inlined with the helpers it calls: as separate calls, they and the kept-descriptor lookup
    /// passed the typed error and the results through memory, about 100 instructions a read
    /// (callgrind).
    @inline(__always)
    private func readAttribute(_ path: String) throws(FileError) -> Int {
        let (fd, isKept) = try descriptor(for: path)
        let count: Int
        do {
            count = try readAttribute(fd, path: path)
        } catch {
            finishFailedRead(fd, isKept: isKept, path: path, error)
            throw error
        }
        finishRead(fd, isKept: isKept, path: path)
        return count
    }

    /// Runs `read` on the descriptor ``descriptor(for:)`` returns and ends it with ``finishRead``.
    private func withDescriptor<Value>(
        _ path: String, _ read: (Int32) throws(FileError) -> Value
    ) throws(FileError) -> Value {
        let (fd, isKept) = try descriptor(for: path)
        let value: Value
        do {
            value = try read(fd)
        } catch {
            finishFailedRead(fd, isKept: isKept, path: path, error)
            throw error
        }
        finishRead(fd, isKept: isKept, path: path)
        return value
    }

    /// Returns the kept descriptor of `path`, or opens it. Throws the remembered error of a path
    /// known to be missing, and remembers a path whose `open` shows it missing.
    @inline(__always)
    private func descriptor(for path: String) throws(FileError) -> (fd: Int32, isKept: Bool) {
        if let kept, let fd = try kept.descriptor(for: path) {
            return (fd, true)
        }
        do {
            return (try openGuarded(path), false)
        } catch {
            kept?.rememberIfMissing(path, error)
            throw error
        }
    }

    /// Closes the kept files beside `path` when its read failed with ENODEV, the error of a removed
    /// device's attribute (``KeptDescriptors/closeDirectory(of:)``).
    @inline(never)
    private func closeRemovedDevice(_ path: String, _ error: FileError) {
        if error.code == ENODEV {
            kept?.closeDirectory(of: path)
        }
    }

    /// Ends a successful read through `fd`. A new descriptor is kept when the allowance has room,
    /// and closed otherwise.
    @inline(__always)
    private func finishRead(_ fd: Int32, isKept: Bool, path: String) {
        if !isKept, kept?.keep(fd, for: path) != true {
            close(fd)
        }
    }

    /// Ends a read through `fd` that failed with `error`. A sysfs, procfs or debugfs file whose
    /// `show` function returned the error stays open or is kept
    /// (``KeptDescriptors/staysOpen(_:after:)``), because opening it again reaches the same kernel
    /// object. Any other failure closes the descriptor, so a removed device's attribute (ENODEV)
    /// or an abandoned read is opened afresh next time, and ENODEV closes the device's other files.
    @inline(never)
    private func finishFailedRead(_ fd: Int32, isKept: Bool, path: String, _ error: FileError) {
        if isKept {
            if kept?.staysOpen(path, after: error) != true {
                kept?.close(path)
            }
        } else if kept?.keep(fd, for: path, after: error) != true {
            close(fd)
        }
        closeRemovedDevice(path, error)
    }

    public func listDirectory(_ path: String) throws(FileError) -> [String] {
        guard let directory = path.withCString(opendir) else {
            throw FileError(operation: "opendir", path: path, code: errno)
        }
        defer { closedir(directory) }

        var names: [String] = []
        while true {
            // readdir returns nil both at the end and on an error, so only errno separates the two.
            errno = 0
            guard let entry = readdir(directory) else { break }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." {
                names.append(name)
            }
        }
        if errno != 0 {
            throw FileError(operation: "readdir", path: path, code: errno)
        }
        return names
    }

    /// Reads the target into a small stack buffer first, because sysfs link targets are a few dozen
    /// bytes and a 4 KiB stack buffer would stay resident on every collector thread. A target that
    /// fills it may be truncated, so it is read again into a heap buffer of `PATH_MAX` bytes.
    public func readLink(_ path: String) throws(FileError) -> String {
        let shortTarget = try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) {
            target throws(FileError) -> String? in
            let count = try Self.readLink(path, into: target)
            return count < target.count ? Self.decode(target, count: count) : nil
        }
        if let shortTarget {
            return shortTarget
        }

        let target = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Int(PATH_MAX))
        defer { target.deallocate() }
        return Self.decode(target, count: try Self.readLink(path, into: target))
    }

    /// Calls `readlink` into `target` and returns the number of bytes it wrote, at most `target.count`.
    private static func readLink(
        _ path: String, into target: UnsafeMutableBufferPointer<UInt8>
    ) throws(FileError) -> Int {
        let count = path.withCString { readlink($0, target.baseAddress!, target.count) }
        if count < 0 {
            throw FileError(operation: "readlink", path: path, code: errno)
        }
        return count
    }

    private static func decode(_ target: UnsafeMutableBufferPointer<UInt8>, count: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: target[0..<count]), as: UTF8.self)
    }

    /// Asks the kernel for the name of the file opened at `path` (``ember_resolve_path``) and calls
    /// `realpath` only when that name cannot be used. glibc's `realpath` calls `readlink` on every
    /// component, about 10 calls for a sysfs device path, most of them failing with EINVAL.
    /// The name goes into the start of `buffer`, which no read is using meanwhile.
    public func resolvePath(_ path: String) throws(FileError) -> String {
        let pathLimit = Int(PATH_MAX)
        let buffer = self.buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
        let code = path.withCString { ember_resolve_path($0, buffer, pathLimit) }
        if code == 0 {
            return String(cString: buffer)
        }
        if code > 0 {
            throw FileError(operation: "realpath", path: path, code: code)
        }

        guard let resolved = path.withCString({ realpath($0, nil) }) else {
            throw FileError(operation: "realpath", path: path, code: errno)
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func fileKind(_ path: String) -> FileKind? {
        var info = stat()
        guard path.withCString({ stat($0, &info) }) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    public func withReadDeadline<Value>(reading path: String, _ call: () throws -> Value) throws -> Value {
        guard let readGuard else { return try call() }

        readGuard.arm()
        defer { readGuard.disarm() }
        let result = Result { try call() }
        // A C library may report the interrupted read as an ordinary failure, or hide it (fread
        // returns a short count), so any call the watchdog interrupted counts as timed out.
        if readGuard.hasFired {
            throw Self.abandonedError(operation: "read", path: path, readGuard: readGuard)
        }
        return try result.get()
    }

    /// Runs `body` with the read guard armed, when there is one.
    private func guarded<Value>(_ body: () throws(FileError) -> Value) throws(FileError) -> Value {
        guard let readGuard else { return try body() }

        readGuard.arm()
        defer { readGuard.disarm() }
        return try body()
    }

    /// Opens `path` like ``openForReading(_:)``, but gives up when the read guard fired.
    private func openGuarded(_ path: String) throws(FileError) -> Int32 {
        while true {
            let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
            if fd >= 0 {
                return fd
            }
            try checkInterrupt(operation: "open", path: path)
        }
    }

    /// Calls `pread` once for the file's bytes from `offset` into `buffer` from `bufferOffset`
    /// (by default `offset`), and again only when a signal other than the read guard's
    /// interrupted it before any byte arrived.
    ///
    /// A file that cannot seek, such as a FIFO, is read with `read`: it is never kept open, so its
    /// descriptor is always at the position the previous read left.
    private func readGuarded(
        _ fd: Int32, path: String, at offset: Int, into bufferOffset: Int? = nil
    ) throws(FileError) -> Int {
        let start = bufferOffset ?? offset
        var seekable = true
        while true {
            let target = buffer.baseAddress! + start
            let count = seekable
                ? pread(fd, target, buffer.count - start, off_t(offset))
                : read(fd, target, buffer.count - start)
            if count >= 0 {
                return count
            }
            if errno == ESPIPE, seekable {
                seekable = false
                continue
            }
            try checkInterrupt(operation: "read", path: path)
        }
    }

    /// Throws the failed call's error, or returns so the caller retries an ordinary EINTR.
    private func checkInterrupt(operation: String, path: String) throws(FileError) {
        let code = errno
        guard code == EINTR else {
            throw FileError(operation: operation, path: path, code: code)
        }
        if let readGuard, readGuard.hasFired {
            throw Self.abandonedError(operation: operation, path: path, readGuard: readGuard)
        }
    }

    private static func abandonedError(operation: String, path: String, readGuard: ReadGuard) -> FileError {
        FileError(
            operation: operation, path: path, code: ETIMEDOUT,
            timeout: ReadTimeout(.abandoned, deadlineSeconds: readGuard.timeoutSeconds))
    }
}

/// Opens `path` read-only and close-on-exec, retrying when a signal interrupts the call; the
/// caller owns the returned descriptor.
public func openForReading(_ path: String) throws(FileError) -> Int32 {
    while true {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        if fd >= 0 {
            return fd
        }
        if errno != EINTR {
            throw FileError(operation: "open", path: path, code: errno)
        }
    }
}
