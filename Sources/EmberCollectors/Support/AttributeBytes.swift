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
}
