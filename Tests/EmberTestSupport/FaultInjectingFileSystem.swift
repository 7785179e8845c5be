import EmberCore

/// A ``FileSystem`` that fails chosen paths with a chosen errno and passes everything else to a
/// real one. Tests use it for faults that file permissions cannot produce when tests run as root
/// (EACCES), and for misbehaving drivers (EIO, EAGAIN, ENODATA, EINVAL).
public final class FaultInjectingFileSystem: FileSystem {
    public let base: any FileSystem
    private var faults: [String: Int32] = [:]

    public init(base: any FileSystem = SystemFileSystem()) {
        self.base = base
    }

    /// Makes every operation on `path` except ``fileKind(_:)`` fail with `code`; `stat` still
    /// works, as it does for a file the kernel refuses to read.
    public func inject(_ code: Int32, at path: String) {
        faults[path] = code
    }

    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        try check("open", path)
        return try base.readAttribute(path)
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        try check("open", path)
        return try base.readFile(path, limit: limit)
    }

    public func listDirectory(_ path: String) throws(FileError) -> [String] {
        try check("opendir", path)
        return try base.listDirectory(path)
    }

    public func readLink(_ path: String) throws(FileError) -> String {
        try check("readlink", path)
        return try base.readLink(path)
    }

    public func resolvePath(_ path: String) throws(FileError) -> String {
        try check("realpath", path)
        return try base.resolvePath(path)
    }

    public func fileKind(_ path: String) -> FileKind? {
        base.fileKind(path)
    }

    private func check(_ operation: String, _ path: String) throws(FileError) {
        if let code = faults[path] {
            throw FileError(operation: operation, path: path, code: code)
        }
    }
}
