import EmberCore

/// A ``FileSystem`` that reads a fixture tree from disk but serves chosen files with other bytes,
/// so a collector runs unchanged on a real tree while the fuzzer writes one of its files.
///
/// Reads keep ``SystemFileSystem``'s limits: an attribute read returns at most
/// ``SystemFileSystem/attributeLimit`` bytes, and a whole-file read over its limit fails as it does
/// there. It also records every path read, which is how a harness learns the files a collector uses.
/// Fixture results are cached for the life of the process, because the trees do not change while a
/// fuzzer runs. A collector run then makes no system calls, which doubled FuzzHwmon's inputs per second.
public final class OverlayFileSystem: FileSystem {
    /// Absolute path → the content served in place of the file's.
    public var overrides: [String: [UInt8]] = [:]
    /// Every path passed to a read, in order, with repeats.
    public private(set) var readPaths: [String] = []

    public init() {}

    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        readPaths.append(path)
        guard let content = overrides[path] else { return try FixtureCache.shared.attribute(path).get() }
        return Array(content.prefix(SystemFileSystem.attributeLimit))
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        readPaths.append(path)
        let content: [UInt8]
        if let override = overrides[path] {
            content = override
        } else {
            content = try FixtureCache.shared.file(path).get()
        }
        if content.count > limit {
            throw FileError(operation: "read", path: path, code: 0)
        }
        return content
    }

    public func listDirectory(_ path: String) throws(FileError) -> [String] {
        try FixtureCache.shared.listing(path).get()
    }

    public func readLink(_ path: String) throws(FileError) -> String {
        try FixtureCache.shared.link(path).get()
    }

    public func resolvePath(_ path: String) throws(FileError) -> String {
        try FixtureCache.shared.resolved(path).get()
    }

    public func fileKind(_ path: String) -> FileKind? {
        FixtureCache.shared.kind(path)
    }
}

/// The fixture trees' result for each path and operation, read once through ``SystemFileSystem``.
final class FixtureCache {
    nonisolated(unsafe) static let shared = FixtureCache()

    private let base = SystemFileSystem()
    private var attributes: [String: Result<[UInt8], FileError>] = [:]
    private var files: [String: Result<[UInt8], FileError>] = [:]
    private var listings: [String: Result<[String], FileError>] = [:]
    private var links: [String: Result<String, FileError>] = [:]
    private var resolvedPaths: [String: Result<String, FileError>] = [:]
    private var kinds: [String: FileKind?] = [:]

    func attribute(_ path: String) -> Result<[UInt8], FileError> {
        cached(&attributes, path) { path throws(FileError) in try base.readAttribute(path) }
    }

    /// Reads the whole file with the largest limit any reader uses; callers apply their own limit.
    func file(_ path: String) -> Result<[UInt8], FileError> {
        cached(&files, path) { path throws(FileError) in try base.readFile(path, limit: 4 << 20) }
    }

    func listing(_ path: String) -> Result<[String], FileError> {
        cached(&listings, path) { path throws(FileError) in try base.listDirectory(path) }
    }

    func link(_ path: String) -> Result<String, FileError> {
        cached(&links, path) { path throws(FileError) in try base.readLink(path) }
    }

    func resolved(_ path: String) -> Result<String, FileError> {
        cached(&resolvedPaths, path) { path throws(FileError) in try base.resolvePath(path) }
    }

    func kind(_ path: String) -> FileKind? {
        if let known = kinds[path] {
            return known
        }
        let kind = base.fileKind(path)
        kinds[path] = kind
        return kind
    }

    private func cached<Value>(
        _ table: inout [String: Result<Value, FileError>], _ path: String,
        _ read: (String) throws(FileError) -> Value
    ) -> Result<Value, FileError> {
        if let known = table[path] {
            return known
        }
        let result = Result<Value, FileError> { () throws(FileError) in try read(path) }
        table[path] = result
        return result
    }
}
