import EmberCore

/// A ``FileSystem`` that counts the reads and directory listings of each path before passing them
/// on, so a test can show that a collector reads a failing file once per sample and never retries
/// it in a loop.
///
/// A read counts when the collector requests it, whether the base file system then fails or not.
public final class CountingFileSystem: FileSystem {
    public let base: any FileSystem
    private var counts: [String: Int] = [:]

    public init(base: any FileSystem = SystemFileSystem()) {
        self.base = base
    }

    /// Returns how often `path` was read or listed with ``readAttribute(_:)``, ``readFile(_:limit:)``
    /// or ``listDirectory(_:)``.
    public func reads(of path: String) -> Int {
        counts[path, default: 0]
    }

    /// Every path read with ``readAttribute(_:)`` or ``readFile(_:limit:)``, sorted, without listings.
    public var readPaths: [String] {
        readFilePaths.sorted()
    }

    private var readFilePaths: Set<String> = []

    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        counts[path, default: 0] += 1
        readFilePaths.insert(path)
        return try base.readAttribute(path)
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        counts[path, default: 0] += 1
        readFilePaths.insert(path)
        return try base.readFile(path, limit: limit)
    }

    public func listDirectory(_ path: String) throws(FileError) -> [String] {
        counts[path, default: 0] += 1
        return try base.listDirectory(path)
    }

    public func readLink(_ path: String) throws(FileError) -> String {
        try base.readLink(path)
    }

    public func resolvePath(_ path: String) throws(FileError) -> String {
        try base.resolvePath(path)
    }

    public func rescan() {
        base.rescan()
    }

    public func fileKind(_ path: String) -> FileKind? {
        base.fileKind(path)
    }

    public func isWriteOnly(_ path: String) -> Bool {
        base.isWriteOnly(path)
    }
}
