/// A file's content could be read but is not what the kernel documents for it.
public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let path: String
    /// The expected content, such as "an integer".
    public let expected: String
    /// The offending content, shortened for logs.
    public let content: String

    public init(path: String, expected: String, content: String) {
        self.path = path
        self.expected = expected
        self.content = content.count > 64 ? String(content.prefix(64)) + "…" : content
    }

    public var description: String {
        content.isEmpty
            ? "parse \(path): empty file, expected \(expected)"
            : "parse \(path): expected \(expected), found \"\(content)\""
    }
}

/// Typed reads of kernel attribute files under the configured roots.
///
/// Required reads throw ``FileError`` or ``ParseError``. The `optional…` variants return nil only
/// when the file does not exist, because an absent optional attribute is normal, while a file that
/// exists and fails to read is a fault worth reporting.
public final class SourceReader {
    public let roots: SourceRoots
    public let fileSystem: any FileSystem

    /// Reads through `fileSystem` behind a ``PermissionDenialCache``, so a file this user may not
    /// read is not opened again on every sample.
    public init(
        roots: SourceRoots, fileSystem: any FileSystem = SystemFileSystem(), clock: any Clock = SystemClock()
    ) {
        self.roots = roots
        self.fileSystem = PermissionDenialCache(base: fileSystem, clock: clock)
    }

    /// Reads an attribute as text without its trailing newline; invalid UTF-8 becomes U+FFFD.
    public func string(_ path: String) throws -> String {
        Text.attributeString(try fileSystem.readAttribute(path))
    }

    /// Reads a decimal integer attribute such as `temp1_input` or `speed`.
    public func integer(_ path: String) throws -> Int64 {
        let text = try string(path)
        guard let value = Int64(text) else {
            throw ParseError(path: path, expected: "an integer", content: text)
        }
        return value
    }

    /// Reads an unsigned decimal attribute, such as a 64-bit counter in `statistics/`.
    public func unsigned(_ path: String) throws -> UInt64 {
        let text = try string(path)
        guard let value = UInt64(text) else {
            throw ParseError(path: path, expected: "an unsigned integer", content: text)
        }
        return value
    }

    /// Reads an attribute that may be absent; nil means the file does not exist.
    public func optionalString(_ path: String) throws -> String? {
        do {
            return try string(path)
        } catch let error as FileError where error.isNotFound {
            return nil
        }
    }

    /// Reads an integer attribute that may be absent; nil means the file does not exist.
    public func optionalInteger(_ path: String) throws -> Int64? {
        do {
            return try integer(path)
        } catch let error as FileError where error.isNotFound {
            return nil
        }
    }

    /// Reads a whole procfs table, up to 4 MiB.
    public func table(_ path: String) throws -> String {
        Text.decodeReplacingInvalid(try fileSystem.readFile(path, limit: 4 << 20))
    }

    /// Lists a directory's entries sorted by name, so output order does not depend on `readdir`.
    public func entries(_ path: String) throws -> [String] {
        try fileSystem.listDirectory(path).sorted()
    }

    /// Lists a directory that may be absent; an absent one gives an empty list.
    public func optionalEntries(_ path: String) throws -> [String] {
        do {
            return try entries(path)
        } catch let error as FileError where error.isNotFound {
            return []
        }
    }

    /// Returns the last path component of a symbolic link's target (`driver` → `r8169`), or nil if
    /// there is no such link.
    public func linkName(_ path: String) -> String? {
        guard let target = try? fileSystem.readLink(path) else { return nil }
        return target.split(separator: "/").last.map(String.init)
    }

    /// Returns whether something exists at `path`.
    public func exists(_ path: String) -> Bool {
        fileSystem.fileKind(path) != nil
    }
}
