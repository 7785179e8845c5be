import EmberCore

/// The AER severity classes the kernel keeps separate counters for.
enum AERSeverity: String, CaseIterable, Sendable {
    case correctable
    case nonfatal
    case fatal

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
