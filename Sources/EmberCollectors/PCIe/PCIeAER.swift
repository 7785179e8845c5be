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
        var total: UInt64?
        for line in lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, let count = UInt64(fields[1]) else {
                throw ParseError(path: path, expected: "lines of an error kind and a count", content: String(line))
            }
            if fields[0].hasPrefix("TOTAL_ERR_") {
                total = count
            } else {
                counts.append(AERKindCount(kind: String(fields[0]), count: count))
            }
        }
        return AERDeviceReport(severity: severity, counts: counts, total: total)
    }
}

struct AERKindCount: Equatable, Sendable {
    let kind: String
    let count: UInt64
}
