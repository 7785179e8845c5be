/// The content of an attribute as `SourceReader.string(_:)` returns it, for parsers that work on the
/// bytes read instead of a `String`.
enum AttributeBytes {
    /// Calls `body` with `bytes` without the trailing newline, spaces, tabs, carriage returns and
    /// NULs that `SourceReader.string(_:)` and `Text.attributeString(_:)` drop.
    static func withContent<Result>(
        _ bytes: [UInt8], _ body: (Slice<UnsafeBufferPointer<UInt8>>) -> Result
    ) -> Result {
        bytes.withUnsafeBufferPointer { buffer in
            var end = buffer.count
            while end > 0, [0x0A, 0x20, 0x09, 0x0D, 0x00].contains(buffer[end - 1]) {
                end -= 1
            }
            return body(buffer[0..<end])
        }
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
