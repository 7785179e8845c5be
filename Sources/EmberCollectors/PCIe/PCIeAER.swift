import EmberCore

/// The AER severity classes the kernel keeps separate counters for.
enum AERSeverity: String, CaseIterable, Sendable {
    case correctable
    case nonfatal
    case fatal

    /// The position in `allCases`.
    var index: Int {
        switch self {
        case .correctable: 0
        case .nonfatal: 1
        case .fatal: 2
        }
    }

    /// The per-device attribute, such as `aer_dev_correctable`.
    var deviceFile: String { "aer_dev_" + rawValue }

    /// The root port attribute, such as `aer_rootport_total_err_cor`.
    var rootPortFile: String {
        switch self {
        case .correctable: "aer_rootport_total_err_cor"
        case .nonfatal: "aer_rootport_total_err_nonfatal"
        case .fatal: "aer_rootport_total_err_fatal"
        }
    }
}

/// One `aer_dev_*` file: a count per error kind (`RxErr 0`, `BadTLP 3`) and the number of error
/// reports (`TOTAL_ERR_COR 3`), which is not the sum of the kinds because one report can set
/// several status bits.
struct AERDeviceReport: Equatable, Sendable {
    let severity: AERSeverity
    let counts: [AERKindCount]
    let total: UInt64?

    /// Parses the kernel's `<kind> <count>` lines (drivers/pci/pcie/aer.c, Linux 5.1 and later).
    ///
    /// Throws ``ParseError`` on any line that is not a name and an unsigned count, because a
    /// file that does not parse entirely may be truncated and its counts cannot be trusted.
    static func parse(_ text: String, severity: AERSeverity, path: String) throws -> AERDeviceReport {
        if let result = ASCIILines.parse(text, { parseASCII($0, severity: severity, path: path) }) {
            return try result.get()
        }
        return try parseCharacters(text, severity: severity, path: path)
    }

    /// Parses by `Character`, the reference behaviour that ``parseASCII(_:severity:path:)``
    /// reproduces for ASCII text. Only text with non-ASCII bytes or a carriage return comes here.
    static func parseCharacters(_ text: String, severity: AERSeverity, path: String) throws -> AERDeviceReport {
        let lines = text.split(whereSeparator: \.isNewline)
        guard !lines.isEmpty else {
            throw ParseError(path: path, expected: "lines of an error kind and a count", content: "")
        }

        var counts: [AERKindCount] = []
        counts.reserveCapacity(lines.count)
        var total: UInt64?
        for line in lines {
            guard let (kind, count) = kindAndCount(line) else {
                throw ParseError(path: path, expected: "lines of an error kind and a count", content: String(line))
            }
            if kind.hasPrefix("TOTAL_ERR_") {
                total = count
            } else {
                counts.append(AERKindCount(kind: String(kind), count: count))
            }
        }
        return AERDeviceReport(severity: severity, counts: counts, total: total)
    }

    /// Parses ASCII text byte by byte, the per-sample path. Lines end at the ASCII bytes that
    /// `Character.isNewline` accepts: line feed, vertical tab and form feed (a carriage return
    /// never reaches this path).
    private static func parseASCII(
        _ bytes: UnsafeBufferPointer<UInt8>, severity: AERSeverity, path: String
    ) -> Result<AERDeviceReport, ParseError> {
        let isSeparator = { (byte: UInt8) in byte >= 0x0A && byte <= 0x0C }
        var counts: [AERKindCount] = []
        // One count per line at most, so the array is allocated once instead of growing line by line.
        counts.reserveCapacity(bytes.reduce(1) { lines, byte in isSeparator(byte) ? lines + 1 : lines })
        var total: UInt64?
        var malformed: String?
        var sawLine = false
        ASCIILines.forEachLine(bytes, separatedBy: isSeparator) { line in
            sawLine = true
            guard let (kind, count) = kindAndCount(line) else {
                malformed = String(decoding: line, as: UTF8.self)
                return false
            }
            if kind.starts(with: totalPrefix) {
                total = count
            } else {
                counts.append(AERKindCount(kind: String(decoding: kind, as: UTF8.self), count: count))
            }
            return true
        }

        let expected = "lines of an error kind and a count"
        guard sawLine else { return .failure(ParseError(path: path, expected: expected, content: "")) }
        if let malformed {
            return .failure(ParseError(path: path, expected: expected, content: malformed))
        }
        return .success(AERDeviceReport(severity: severity, counts: counts, total: total))
    }

    /// `TOTAL_ERR_` as bytes. Comparing with an array costs a fraction of comparing with a
    /// `String.UTF8View`, which the collector did for every line on each cycle.
    private static let totalPrefix = Array("TOTAL_ERR_".utf8)

    /// The byte version of ``kindAndCount(_:)-swift.method``, with the same rules.
    private static func kindAndCount(
        _ line: UnsafeBufferPointer<UInt8>
    ) -> (kind: Slice<UnsafeBufferPointer<UInt8>>, count: UInt64)? {
        let space = UInt8(ascii: " ")
        guard let start = line.firstIndex(where: { $0 != space }),
              let gap = line[start...].firstIndex(of: space),
              let numberStart = line[gap...].firstIndex(where: { $0 != space })
        else { return nil }

        let numberEnd = line[numberStart...].firstIndex(of: space) ?? line.endIndex
        guard line[numberEnd...].allSatisfy({ $0 == space }) else { return nil }
        let number = line[numberStart..<numberEnd]
        guard let count = ASCIIFields.unsigned(number) else { return nil }
        return (line[start..<gap], count)
    }

    /// Splits a line of exactly two space-separated fields, the second an unsigned count. It builds
    /// no array of fields, because the collector parses these lines for every device on each cycle.
    private static func kindAndCount(_ line: Substring) -> (kind: Substring, count: UInt64)? {
        let fields = line.drop(while: { $0 == " " })
        guard let gap = fields.firstIndex(of: " ") else { return nil }

        let rest = fields[gap...].drop(while: { $0 == " " })
        let number = rest.prefix(while: { $0 != " " })
        guard rest[number.endIndex...].allSatisfy({ $0 == " " }), let count = UInt64(number) else { return nil }
        return (fields[..<gap], count)
    }
}

struct AERKindCount: Equatable, Sendable {
    let kind: String
    let count: UInt64
}
