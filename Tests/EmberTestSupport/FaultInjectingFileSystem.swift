#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import Synchronization

/// A ``FileSystem`` that puts chosen faults on chosen paths and passes everything else to a real
/// one. Tests use it for faults that file permissions cannot produce when tests run as root
/// (EACCES), and for misbehaving drivers (EIO, EAGAIN, ENODATA, EINVAL, short reads, reads that
/// block, devices that vanish).
///
/// Faults may be added and released while a collector reads on another thread.
public final class FaultInjectingFileSystem: FileSystem {
    public let base: any FileSystem
    private let faults = Mutex<[String: InjectedFault]>([:])

    public init(base: any FileSystem = SystemFileSystem()) {
        self.base = base
    }

    /// Makes every operation on `path` except ``fileKind(_:)`` fail with `code`; `stat` still
    /// works, as it does for a file the kernel refuses to read.
    public func inject(_ code: Int32, at path: String) {
        set(.everyOperation(code), at: path)
    }

    /// Makes opening `path` fail with `code`.
    public func injectOpenError(_ code: Int32, at path: String) {
        set(.open(code), at: path)
    }

    /// Opens and reads `path` for real, then fails the read with `code`, as a driver's `show`
    /// function does when the device does not respond.
    public func injectReadError(_ code: Int32, at path: String) {
        set(.read(code), at: path)
    }

    /// Makes the first `read` of `path` return only its first `count` bytes, and the next `read`
    /// the rest, as POSIX allows for pipes, FUSE and network file systems. The content goes through
    /// a real pipe, so the reader's own `read` calls see the short read.
    public func injectShortRead(_ count: Int, at path: String) {
        set(.shortRead(count), at: path)
    }

    /// Makes reads of `path` block in a real `read` on a pipe until ``BlockedRead/release()``,
    /// and return the file's content after that.
    @discardableResult
    public func injectBlockingRead(at path: String) -> BlockedRead {
        let blocked = BlockedRead()
        set(.block(blocked), at: path)
        return blocked
    }

    /// Makes `path` and everything below it gone, as a device removed after its directory was
    /// listed: listing the parent still returns the name, every other operation fails with ENOENT.
    public func injectVanished(at path: String) {
        set(.vanished, at: path)
    }

    /// Removes the fault at `path`.
    public func removeFault(at path: String) {
        _ = faults.withLock { $0.removeValue(forKey: path) }
    }

    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        try read(path) { fileSystem, target throws(FileError) in try fileSystem.readAttribute(target) }
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        try read(path) { fileSystem, target throws(FileError) in try fileSystem.readFile(target, limit: limit) }
    }

    public func listDirectory(_ path: String) throws(FileError) -> [String] {
        try failIfFaulted("opendir", path)
        return try base.listDirectory(path)
    }

    public func readLink(_ path: String) throws(FileError) -> String {
        try failIfFaulted("readlink", path)
        return try base.readLink(path)
    }

    public func resolvePath(_ path: String) throws(FileError) -> String {
        try failIfFaulted("realpath", path)
        return try base.resolvePath(path)
    }

    public func rescan() {
        base.rescan()
    }

    public func fileKind(_ path: String) -> FileKind? {
        if case .vanished = fault(at: path) {
            return nil
        }
        return base.fileKind(path)
    }

    /// Runs `call`, a C library's own read of `path`, through the base's deadline after the fault
    /// on `path`. A blocking read blocks in stdio first, and an injected errno is thrown as a
    /// ``FileError`` in place of the call. A short read changes nothing.
    public func withReadDeadline<Value>(reading path: String, _ call: () throws -> Value) throws -> Value {
        switch fault(at: path) {
        case nil, .shortRead:
            return try base.withReadDeadline(reading: path, call)
        case .block(let blocked):
            return try base.withReadDeadline(reading: path) {
                blocked.waitInStdioRead()
                return try call()
            }
        case .everyOperation(let code), .open(let code), .read(let code):
            throw FileError(operation: "read", path: path, code: code)
        case .vanished:
            throw FileError(operation: "open", path: path, code: ENOENT)
        }
    }

    /// Runs one read of `path` through the fault on it, if any. `operation` reads a given path
    /// from a given file system, so a fault can point it at a pipe in place of the file.
    private func read(
        _ path: String, _ operation: (any FileSystem, String) throws(FileError) -> [UInt8]
    ) throws(FileError) -> [UInt8] {
        switch fault(at: path) {
        case nil:
            return try operation(base, path)
        case .everyOperation(let code), .open(let code):
            throw FileError(operation: "open", path: path, code: code)
        case .read(let code):
            _ = try operation(base, path)
            throw FileError(operation: "read", path: path, code: code)
        case .shortRead(let count):
            let content = try operation(base, path)
            return try ShortReadPipe.read(content, firstCount: count, as: path) { pipePath throws(FileError) in
                try operation(base, pipePath)
            }
        case .block(let blocked):
            try blocked.waitForRelease(as: path) { pipePath throws(FileError) in _ = try operation(base, pipePath) }
            return try operation(base, path)
        case .vanished:
            throw FileError(operation: "open", path: path, code: ENOENT)
        }
    }

    private func failIfFaulted(_ operation: String, _ path: String) throws(FileError) {
        switch fault(at: path) {
        case .everyOperation(let code):
            throw FileError(operation: operation, path: path, code: code)
        case .vanished:
            throw FileError(operation: operation, path: path, code: ENOENT)
        default:
            return
        }
    }

    private func set(_ fault: InjectedFault, at path: String) {
        faults.withLock { $0[path] = fault }
    }

    /// Returns the fault on `path`, or the vanished fault of a directory above it.
    private func fault(at path: String) -> InjectedFault? {
        faults.withLock { faults -> InjectedFault? in
            if let fault = faults[path] {
                return fault
            }
            let vanishedAbove = faults.contains { entry in
                if case .vanished = entry.value { return path.hasPrefix(entry.key + "/") }
                return false
            }
            return vanishedAbove ? .vanished : nil
        }
    }
}

/// One kind of fault on one path.
enum InjectedFault {
    case everyOperation(Int32)
    case open(Int32)
    case read(Int32)
    case shortRead(Int)
    case block(BlockedRead)
    case vanished
}
