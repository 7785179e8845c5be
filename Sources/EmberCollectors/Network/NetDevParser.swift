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
