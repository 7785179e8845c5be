import EmberCore

/// The content of an attribute as `SourceReader.string(_:)` returns it, for parsers that work on the
/// bytes read instead of a `String`.
enum AttributeBytes {
    /// Calls `body` with `bytes` without the trailing newline, spaces, tabs, carriage returns and
    /// NULs that `SourceReader.string(_:)` and `Text.attributeString(_:)` drop.
    static func withContent<Result>(
        _ bytes: [UInt8], _ body: (Slice<UnsafeBufferPointer<UInt8>>) -> Result
    ) -> Result {
        bytes.withUnsafeBufferPointer { body(content($0)) }
    }

    /// Returns `buffer` without the trailing bytes that ``withContent(_:_:)`` drops.
    static func content(_ buffer: UnsafeBufferPointer<UInt8>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var end = buffer.count
        while end > 0, [0x0A, 0x20, 0x09, 0x0D, 0x00].contains(buffer[end - 1]) {
            end -= 1
        }
        return buffer[0..<end]
    }

    /// Reads `path` and returns `parse` of its content, or the bytes read when `parse` returns nil,
    /// for the caller's text path.
    ///
    /// The bytes are parsed in the reader's own buffer, which spares the new array of each read:
    /// about 250 instructions with `malloc` and `free` (callgrind). Only content that `parse`
    /// rejects is copied.
    ///
    /// With `settled`, the attribute is one that changes only when the system is reconfigured, and
    /// is read through ``FileSystem/withSettledAttributeBytes(_:_:)``.
    static func read<Value>(
        _ path: String, from fileSystem: any FileSystem, settled: Bool = false,
        parsing parse: (Slice<UnsafeBufferPointer<UInt8>>) -> Value?
    ) throws(FileError) -> Parsed<Value> {
        var result = Parsed<Value>.unparsed([])
        try fileSystem.withAttributeBytes(path, settled: settled) { result = parsed($0, parse) }
        return result
    }

    private static func parsed<Value>(
        _ raw: UnsafeRawBufferPointer, _ parse: (Slice<UnsafeBufferPointer<UInt8>>) -> Value?
    ) -> Parsed<Value> {
        let buffer = raw.bindMemory(to: UInt8.self)
        if let value = parse(content(buffer)) {
            return .parsed(value)
        }
        return .unparsed(Array(buffer))
    }

    /// The result of ``read(_:from:parsing:)``: the parsed value, or the bytes the parser rejected.
    enum Parsed<Value> {
        case parsed(Value)
        case unparsed([UInt8])
    }

    /// Returns the value of an optional `-` and 1 to `maxDigits` ASCII digits, or nil for any other
    /// content. Up to 18 digits keep the value inside `Int64`.
    static func decimalInteger(_ content: Slice<UnsafeBufferPointer<UInt8>>, maxDigits: Int = 18) -> Int64? {
        precondition(maxDigits <= 18, "\(maxDigits) digits can overflow Int64")
        let isNegative = content.first == UInt8(ascii: "-")
        let digits = isNegative ? content.dropFirst() : content
        guard !digits.isEmpty, digits.count <= maxDigits else { return nil }

        var value: Int64 = 0
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return isNegative ? -value : value
    }
}
