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
    /// The same object as `fileSystem`, called without going through the protocol's witness table.
    private let denials: PermissionDenialCache

    /// Reads through `fileSystem` behind a ``PermissionDenialCache``, so a file this user may not
    /// read is not opened again on every sample.
    public init(
        roots: SourceRoots, fileSystem: any FileSystem = SystemFileSystem(), clock: any Clock = SystemClock()
    ) {
        self.roots = roots
        denials = PermissionDenialCache(base: fileSystem, clock: clock)
        self.fileSystem = denials
    }

    /// Reads an attribute as text without its trailing newline; invalid UTF-8 becomes U+FFFD.
    public func string(_ path: String) throws -> String {
        try text(path, settled: false)
    }

    /// Reads a decimal integer attribute such as `temp1_input` or `speed`.
    public func integer(_ path: String) throws -> Int64 {
        try number(path, settled: false, expected: "an integer", parsing: AttributeDigits.integer)
    }

    /// Reads an unsigned decimal attribute, such as a 64-bit counter in `statistics/`.
    public func unsigned(_ path: String) throws -> UInt64 {
        try number(path, settled: false, expected: "an unsigned integer", parsing: AttributeDigits.unsigned)
    }

    /// Reads, as ``string(_:)`` does, an attribute that changes only when the system is
    /// reconfigured, such as a label, a driver name or an address. Between rescans the collectors'
    /// file systems pass the bytes of the first read since the last rescan
    /// (``FileSystem/withSettledAttributeBytes(_:_:)``), so a change shows within one rescan interval.
    public func settledString(_ path: String) throws -> String {
        try text(path, settled: true)
    }

    /// Reads, as ``integer(_:)`` does, an attribute that changes only when the system is
    /// reconfigured, such as a limit or an index; see ``settledString(_:)``.
    public func settledInteger(_ path: String) throws -> Int64 {
        try number(path, settled: true, expected: "an integer", parsing: AttributeDigits.integer)
    }

    /// Reads, as ``unsigned(_:)`` does, an attribute that changes only when the system is
    /// reconfigured; see ``settledString(_:)``.
    public func settledUnsigned(_ path: String) throws -> UInt64 {
        try number(path, settled: true, expected: "an unsigned integer", parsing: AttributeDigits.unsigned)
    }

    private func text(_ path: String, settled: Bool) throws -> String {
        var text = ""
        try withBytes(path, settled: settled) { bytes in
            text = AttributeDigits.text(bytes)
        }
        return text
    }

    /// Parses plain digits in the reader's buffer, and decodes any other content as text for the
    /// integer's own parser, so values and errors match those of `string(_:)` and `init?(_:)`.
    private func number<Value: LosslessStringConvertible>(
        _ path: String, settled: Bool, expected: String, parsing parse: (UnsafeRawBufferPointer) -> Value?
    ) throws -> Value {
        var value: Value?
        var text = ""
        try withBytes(path, settled: settled) { bytes in
            value = parse(bytes)
            if value == nil {
                text = AttributeDigits.text(bytes)
            }
        }
        if let value {
            return value
        }

        guard let value = Value(text) else {
            throw ParseError(path: path, expected: expected, content: text)
        }
        return value
    }

    private func withBytes(
        _ path: String, settled: Bool, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        try denials.withAttributeBytes(path, settled: settled, body)
    }

    /// Reads an attribute that may be absent; nil means the file does not exist.
    public func optionalString(_ path: String) throws -> String? {
        do {
            return try string(path)
        } catch let error as FileError where error.isNotFound {
            return nil
        }
    }

    /// Reads a settled attribute that may be absent (``settledString(_:)``); nil means the file
    /// does not exist.
    public func optionalSettledString(_ path: String) throws -> String? {
        do {
            return try settledString(path)
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

/// Decimal attributes parsed straight from the bytes read, without making a `String` first.
///
/// Only plain digits, with a leading `-` for signed values, take this path. Anything else,
/// including a value out of range, returns nil so the caller parses the text as before and
/// reports the same error.
enum AttributeDigits {
    /// Returns the length of `bytes` without the trailing bytes that ``Text/attributeString(_:)``
    /// drops: newline, space, tab, carriage return and NUL.
    static func contentEnd(_ bytes: UnsafeRawBufferPointer) -> Int {
        var end = bytes.count
        while end > 0 {
            switch bytes[end - 1] {
            case 0x0A, 0x20, 0x09, 0x0D, 0x00: end -= 1
            default: return end
            }
        }
        return end
    }

    /// Returns the text ``Text/attributeString(_:)`` makes of `bytes`. ASCII, which nearly every
    /// attribute is, goes straight to `String(decoding:as:)`: `String(validating:as:)` took about
    /// 950 instructions for a short attribute (callgrind).
    static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        let content = UnsafeRawBufferPointer(rebasing: bytes[0..<contentEnd(bytes)])
        if content.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: content, as: UTF8.self)
        }
        return Text.attributeString(Array(bytes))
    }

    static func unsigned(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        let end = contentEnd(bytes)
        guard end > 0 else { return nil }
        return magnitude(bytes[0..<end])
    }

    static func integer(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let end = contentEnd(bytes)
        let isNegative = end > 1 && bytes[0] == UInt8(ascii: "-")
        let digits = bytes[(isNegative ? 1 : 0)..<end]
        guard !digits.isEmpty, let magnitude = magnitude(digits) else { return nil }

        if isNegative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Returns the value of a run of ASCII digits, or nil for any other byte or on overflow.
    private static func magnitude(_ digits: Slice<UnsafeRawBufferPointer>) -> UInt64? {
        var value: UInt64 = 0
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }

            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = product.addingReportingOverflow(UInt64(digit))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }
}
