import EmberCore

/// The byte version of ``DevfreqTransitionStats/parse(_:path:)`` for ASCII text, which the kernel
/// always prints. It follows the `Character` parser rule for rule: the same trimming, rows, fixed
/// ten-character count fields and errors.
enum ASCIITransitionTable {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// A table row: the line, its marker and frequency, and where the counts start in the line.
    private struct Row {
        let line: Bytes
        let isMarked: Bool
        let frequency: UInt64
        let fieldsStart: Int
    }

    static func parse(_ bytes: Bytes, text: String, path: String) -> Result<DevfreqTransitionStats?, ParseError> {
        let content = trimmed(bytes)
        if content.isEmpty || content.elementsEqual("Not Supported.".utf8) {
            return .success(nil)
        }

        var rows: [Row] = []
        ASCIILines.forEachLine(content) { line in
            if let row = splitRow(line) {
                rows.append(row)
            }
            return true
        }
        guard !rows.isEmpty else {
            return .failure(ParseError(path: path, expected: "a devfreq transition table", content: text))
        }

        var states: [DevfreqTransitionStats.State] = []
        states.reserveCapacity(rows.count)
        for row in rows {
            guard let state = parseRow(row, stateCount: rows.count) else {
                let expected = "\(rows.count) transition counts and a time per row"
                let content = String(decoding: row.line, as: UTF8.self)
                return .failure(ParseError(path: path, expected: expected, content: content))
            }
            states.append(state)
        }
        return .success(DevfreqTransitionStats(states: states))
    }

    /// Drops leading and trailing ASCII whitespace, as `SysfsClass.trimSpace` does for ASCII text.
    private static func trimmed(_ bytes: Bytes) -> Bytes {
        let isSpace = { (byte: UInt8) in byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return Bytes(rebasing: bytes[0..<0]) }
        return Bytes(rebasing: bytes[first...last])
    }

    /// Returns the row of `line`, or nil for a header or footer line, whose text before the first
    /// colon is not a frequency.
    private static func splitRow(_ line: Bytes) -> Row? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }

        let isMarked = colon > 0 && line[0] == UInt8(ascii: "*")
        var digitsStart = 0
        while digitsStart < colon, line[digitsStart] == UInt8(ascii: "*") || line[digitsStart] == UInt8(ascii: " ") {
            digitsStart += 1
        }
        let digits = line[digitsStart..<colon]
        guard !digits.isEmpty, digits.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }),
              let frequency = ASCIIFields.unsigned(digits)
        else { return nil }
        return Row(line: line, isMarked: isMarked, frequency: frequency, fieldsStart: colon + 1)
    }

    private static func parseRow(_ row: Row, stateCount: Int) -> DevfreqTransitionStats.State? {
        let width = DevfreqTransitionStats.countWidth
        var position = row.fieldsStart
        var counts: [UInt64] = []
        counts.reserveCapacity(stateCount)
        for _ in 0..<stateCount {
            guard row.line.count - position >= width else { return nil }

            guard let count = unsignedAfterSpaces(row.line[position..<(position + width)]) else { return nil }
            counts.append(count)
            position += width
        }

        guard let milliseconds = unsignedAfterSpaces(row.line[position...]) else { return nil }
        return DevfreqTransitionStats.State(
            frequencyHertz: row.frequency, transitionsTo: counts, milliseconds: milliseconds, isMarked: row.isMarked)
    }

    /// Parses `field` without its leading spaces as `UInt64(_:)` does.
    private static func unsignedAfterSpaces(_ field: Slice<Bytes>) -> UInt64? {
        let start = field.firstIndex(where: { $0 != UInt8(ascii: " ") }) ?? field.endIndex
        let digits = field[start...]
        return digits.isEmpty ? nil : ASCIIFields.unsigned(digits)
    }
}
