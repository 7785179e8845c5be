/// Line splitting over the bytes of ASCII text, for procfs tables parsed on every sample.
///
/// Splitting a `String` by `Character` costs grapheme breaking and a `Substring` per line and field.
/// For ASCII text without a carriage return, bytes and characters split at the same places, so a
/// byte parser gives the same lines and fields. Other text is left to the `Character` parsers,
/// because there "\r\n" is one character and a combining mark joins the character before it.
enum ASCIILines {
    /// Runs `parse` on the UTF-8 bytes of `text`, or returns nil when `text` has a byte that is not
    /// ASCII, a carriage return, or no contiguous storage.
    static func parse<Result>(_ text: String, _ parse: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        let result = text.utf8.withContiguousStorageIfAvailable { bytes -> Result? in
            guard !bytes.contains(where: { $0 >= 0x80 || $0 == UInt8(ascii: "\r") }) else { return nil }
            return parse(bytes)
        }
        return result ?? nil
    }

    /// Calls `body` with each line of `bytes` without its separator, skipping empty lines, as
    /// `split(separator: "\n")` does, until `body` returns false.
    static func forEachLine(
        _ bytes: UnsafeBufferPointer<UInt8>, separatedBy isSeparator: (UInt8) -> Bool = { $0 == UInt8(ascii: "\n") },
        _ body: (UnsafeBufferPointer<UInt8>) -> Bool
    ) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, !isSeparator(bytes[end]) {
                end += 1
            }
            if end > start, !body(UnsafeBufferPointer(rebasing: bytes[start..<end])) {
                return
            }
            start = end + 1
        }
    }

    /// Returns whether `byte` is a space or a tab, the separators of ``Text/fields(_:)``.
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}

/// The fields of one ASCII line, separated by runs of spaces and tabs like ``Text/fields(_:)``.
struct ASCIIFields: IteratorProtocol {
    private let line: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ line: UnsafeBufferPointer<UInt8>) {
        self.line = line
    }

    mutating func next() -> Slice<UnsafeBufferPointer<UInt8>>? {
        while position < line.count, ASCIILines.isBlank(line[position]) {
            position += 1
        }
        guard position < line.count else { return nil }

        let start = position
        while position < line.count, !ASCIILines.isBlank(line[position]) {
            position += 1
        }
        return line[start..<position]
    }

    /// Parses a field as `UInt64(_:)` does. Plain digits are converted here, and anything else, such as
    /// a sign, goes through `UInt64(_:)` so that the two accept exactly the same text.
    static func unsigned(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64? {
        var value: UInt64 = 0
        for byte in field {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return UInt64(String(decoding: field, as: UTF8.self)) }

            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = product.addingReportingOverflow(UInt64(digit))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return field.isEmpty ? nil : value
    }
}

/// Returns the last non-empty `/`-separated component of `path`, as `path.split(separator: "/").last`
/// does.
func lastPathComponent(_ path: String) -> Substring? {
    lastTwoPathComponents(path)?.last
}

/// Returns the last two non-empty `/`-separated components of `path`, as `split(separator: "/")`
/// gives them. An ASCII path is searched from its end instead of being split whole, because
/// collectors call this for every device on every sample.
func lastTwoPathComponents(_ path: String) -> (parent: Substring?, last: Substring)? {
    guard isASCII(path) else {
        // A combining mark after `/` makes one character that is not a separator.
        let components = path.split(separator: "/")
        guard let last = components.last else { return nil }
        return (components.count >= 2 ? components[components.count - 2] : nil, last)
    }

    guard let last = pathComponent(before: path.utf8.endIndex, in: path) else { return nil }
    return (pathComponent(before: last.startIndex, in: path), last)
}

/// Returns whether every byte of `text` is ASCII, checking contiguous bytes in a plain loop because
/// `utf8.allSatisfy` goes through the generic iterator byte by byte.
func isASCII(_ text: String) -> Bool {
    let checked = text.utf8.withContiguousStorageIfAvailable { bytes in
        var combined: UInt8 = 0
        for byte in bytes {
            combined |= byte
        }
        return combined < 0x80
    }
    return checked ?? text.utf8.allSatisfy { $0 < 0x80 }
}

/// Returns the last non-empty component of ASCII `path` that ends at or before `end`.
private func pathComponent(before end: String.Index, in path: String) -> Substring? {
    let slash = UInt8(ascii: "/")
    let utf8 = path.utf8
    guard let lastByte = utf8[..<end].lastIndex(where: { $0 != slash }) else { return nil }
    let start = utf8[..<lastByte].lastIndex(of: slash).map { utf8.index(after: $0) } ?? utf8.startIndex
    return path[start...lastByte]
}
