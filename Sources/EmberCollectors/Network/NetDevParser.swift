import EmberCore

/// One interface's line of `/proc/net/dev`: eight receive and eight transmit counters.
public struct NetDevCounters: Equatable, Sendable {
    public let device: String
    /// The counters in ``NetDevCounters/fieldNames`` order, as the kernel printed them.
    public let values: [UInt64]

    /// node_exporter's names for the kernel's columns, in order (net/core/net-procfs.c).
    public static let fieldNames = [
        "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo", "receive_frame",
        "receive_compressed", "receive_multicast",
        "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls",
        "transmit_carrier", "transmit_compressed",
    ]

    public init(device: String, values: [UInt64]) {
        self.device = device
        self.values = values
    }

    public func value(_ field: String) -> UInt64? {
        NetDevCounters.fieldNames.firstIndex(of: field).map { values[$0] }
    }
}

/// Parses `/proc/net/dev`.
public enum NetDevParser {
    /// Returns every well-formed interface line and a ``ParseError`` for each malformed one.
    ///
    /// The two header lines contain `|` and are skipped. The name ends at the first `:` because
    /// the kernel rejects `:` in interface names, and a large counter may follow it without a space.
    public static func parse(_ text: String, path: String) -> (devices: [NetDevCounters], errors: [ParseError]) {
        if let parsed = ASCIILines.parse(text, { parseASCII($0, path: path) }) {
            return parsed
        }
        return parseCharacters(text, path: path)
    }

    /// Parses by `Character`, the reference behaviour that ``parseASCII(_:path:)`` reproduces for
    /// ASCII text. Only text with non-ASCII bytes or a carriage return comes here.
    static func parseCharacters(_ text: String, path: String) -> (devices: [NetDevCounters], errors: [ParseError]) {
        var devices: [NetDevCounters] = []
        var errors: [ParseError] = []
        for line in text.split(separator: "\n") where !line.contains("|") {
            if let counters = parseLine(line) {
                devices.append(counters)
            } else if !line.allSatisfy(\.isWhitespace) {
                errors.append(ParseError(
                    path: path, expected: "\"<interface>: \" followed by 16 unsigned counters", content: String(line)))
            }
        }
        return (devices, errors)
    }

    /// Parses ASCII text without a carriage return byte by byte, the per-sample path.
    private static func parseASCII(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String
    ) -> (devices: [NetDevCounters], errors: [ParseError]) {
        var devices: [NetDevCounters] = []
        var errors: [ParseError] = []
        ASCIILines.forEachLine(bytes) { line in
            guard !line.contains(UInt8(ascii: "|")) else { return true }
            if let counters = parseLine(line) {
                devices.append(counters)
            } else if !line.allSatisfy(isASCIIWhitespace) {
                errors.append(ParseError(
                    path: path, expected: "\"<interface>: \" followed by 16 unsigned counters",
                    content: String(decoding: line, as: UTF8.self)))
            }
            return true
        }
        return (devices, errors)
    }

    private static func parseLine(_ line: UnsafeBufferPointer<UInt8>) -> NetDevCounters? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        var nameStart = 0
        var nameEnd = colon
        while nameStart < nameEnd, ASCIILines.isBlank(line[nameStart]) { nameStart += 1 }
        while nameEnd > nameStart, ASCIILines.isBlank(line[nameEnd - 1]) { nameEnd -= 1 }
        guard nameStart < nameEnd else { return nil }

        var fields = ASCIIFields(UnsafeBufferPointer(rebasing: line[(colon + 1)...]))
        var values: [UInt64] = []
        values.reserveCapacity(NetDevCounters.fieldNames.count)
        while let field = fields.next() {
            guard values.count < NetDevCounters.fieldNames.count, let value = ASCIIFields.unsigned(field) else {
                return nil
            }
            values.append(value)
        }
        guard values.count == NetDevCounters.fieldNames.count else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: line[nameStart..<nameEnd]), as: UTF8.self)
        return NetDevCounters(device: name, values: values)
    }

    /// The ASCII bytes that `Character.isWhitespace` accepts: tab through carriage return, and space.
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 0x09 && byte <= 0x0D)
    }

    private static func parseLine(_ line: Substring) -> NetDevCounters? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let name = line[..<colon].trimmingSpaces()
        let fields = Text.fields(line[line.index(after: colon)...])
        guard !name.isEmpty, fields.count == NetDevCounters.fieldNames.count else { return nil }

        var values: [UInt64] = []
        values.reserveCapacity(fields.count)
        for field in fields {
            guard let value = UInt64(field) else { return nil }
            values.append(value)
        }
        return NetDevCounters(device: String(name), values: values)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
