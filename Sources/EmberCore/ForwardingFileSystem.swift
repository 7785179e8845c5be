/// A ``FileSystem`` layered over another one, such as a cache or a fault injector.
///
/// Every operation goes to ``base`` unless the conforming type implements it, so a layer spells
/// out only the operations it changes.
public protocol ForwardingFileSystem: FileSystem {
    /// The file system beneath this layer.
    var base: any FileSystem { get }
}

extension ForwardingFileSystem {
    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        try base.readAttribute(path)
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        try base.readFile(path, limit: limit)
    }

    public func listDirectory(_ path: String) throws(FileError) -> [String] {
        try base.listDirectory(path)
    }

    public func readLink(_ path: String) throws(FileError) -> String {
        try base.readLink(path)
    }

    public func resolvePath(_ path: String) throws(FileError) -> String {
        try base.resolvePath(path)
    }

    public func fileKind(_ path: String) -> FileKind? {
        base.fileKind(path)
    }

    public func isWriteOnly(_ path: String) -> Bool {
        base.isWriteOnly(path)
    }

    public func withReadDeadline<Value>(reading path: String, _ call: () throws -> Value) throws -> Value {
        try base.withReadDeadline(reading: path, call)
    }

    public func rescan() {
        base.rescan()
    }
}
