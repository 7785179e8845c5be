/// Text handling shared by the parsers: kernel files are bytes, usually ASCII, never guaranteed UTF-8.
public enum Text {
    /// Decodes bytes as UTF-8, replacing each maximal run of invalid bytes with one U+FFFD.
    ///
    /// This matches Go's `strings.ToValidUTF8`, which node_exporter applies to label values, so a
    /// `model_name` ending in `C0 C0` gives one replacement character, not two.
    public static func decodeReplacingInvalid<Bytes: Collection>(_ bytes: Bytes) -> String
    where Bytes.Element == UInt8 {
        // Validating in place spares a copy of every attribute read that is valid UTF-8.
        if let valid = String(validating: bytes, as: UTF8.self) {
            return valid
        }

        let array = Array(bytes)

        var output: [UInt8] = []
        output.reserveCapacity(array.count + 3)
        var index = 0
        var inInvalidRun = false
        while index < array.count {
            let length = validSequenceLength(array, at: index)
            if length > 0 {
                output.append(contentsOf: array[index..<(index + length)])
                index += length
                inInvalidRun = false
            } else {
                if !inInvalidRun {
                    output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                }
                inInvalidRun = true
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Returns the length of the well-formed UTF-8 sequence starting at `index`, or 0 if there is none.
    static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }

        // Only the second byte has the narrowed range (RFC 3629 table 3-7); later ones are 80..BF.
        for offset in 1..<length {
            let byte = bytes[index + offset]
            let range = offset == 1 ? low...high : 0x80...0xBF
            if !range.contains(byte) {
                return 0
            }
        }
        return length
    }

    /// Decodes an attribute file: drops trailing whitespace (the kernel's `\n`) and NUL padding.
    public static func attributeString(_ bytes: [UInt8]) -> String {
        var end = bytes.count
        while end > 0, isTrailingJunk(bytes[end - 1]) {
            end -= 1
        }
        return decodeReplacingInvalid(bytes[0..<end])
    }

    /// Splits a line into fields on runs of spaces and tabs.
    public static func fields(_ line: Substring) -> [Substring] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" })
    }

    private static func isTrailingJunk(_ byte: UInt8) -> Bool {
        byte == 0x0A || byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x00
    }
}

extension Text {
    /// Returns whether `needle` occurs in `text`, comparing UTF-8 bytes.
    ///
    /// The standard library's `contains(_: String)` on strings lives in `_StringProcessing`, which
    /// the agent does not link because of its size (Package.swift).
    public static func contains(_ text: some StringProtocol, _ needle: String) -> Bool {
        let haystack = Array(text.utf8)
        let pattern = Array(needle.utf8)
        guard pattern.count <= haystack.count else { return false }
        guard !pattern.isEmpty else { return true }

        for start in 0...(haystack.count - pattern.count)
        where haystack[start..<(start + pattern.count)].elementsEqual(pattern) {
            return true
        }
        return false
    }
}
