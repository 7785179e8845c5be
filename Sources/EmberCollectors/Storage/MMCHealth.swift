import EmberCore

/// The eMMC health report of the JEDEC eMMC 5.0 standard (JESD84-B50), as the kernel's MMC core
/// prints it in `life_time` (EXT_CSD bytes 268 and 269) and `pre_eol_info` (EXT_CSD byte 267).
///
/// SD cards have no such report, so their devices lack both files.
public enum MMCHealth {
    /// Device life time estimation codes: 0x01 means 0–10 % of the rated life used, and each next
    /// code 10 % more, up to 0x0A for 90–100 %. 0x0B means the rated life is exceeded. 0x00 is
    /// "not defined" and 0x0C and above are reserved.
    public static let lifeTimeExceeded: UInt8 = 0x0B

    /// Parses `life_time`: estimation type A (the SLC-mode area) then type B (the MLC area), each a
    /// hex byte, as in `0x01 0x02`.
    public static func parseLifeTime(_ text: String, path: String) throws(ParseError) -> (typeA: UInt8, typeB: UInt8) {
        let fields = Text.fields(Substring(text))
        guard fields.count == 2, let typeA = hexByte(fields[0]), let typeB = hexByte(fields[1]) else {
            throw ParseError(path: path, expected: "two hex bytes such as \"0x01 0x02\"", content: text)
        }
        return (typeA, typeB)
    }

    /// Parses a file containing one hex byte, such as `pre_eol_info` (0x01 normal, 0x02 warning at 80 %
    /// of the reserved blocks used, 0x03 urgent, 0x00 not defined). Some kernels print it without `0x`.
    public static func parseCode(_ text: String, path: String) throws(ParseError) -> UInt8 {
        let fields = Text.fields(Substring(text))
        guard fields.count == 1, let code = hexByte(fields[0]) else {
            throw ParseError(path: path, expected: "a hex byte such as \"0x01\"", content: text)
        }
        return code
    }

    /// Returns the upper bound of the life used for a life time estimation code, as a ratio:
    /// 0.1 for 0x01 through 1.0 for 0x0A, and 1.1 for 0x0B (exceeded), so the value grows with the
    /// code. Returns nil for 0x00 and reserved codes, which carry no estimate.
    public static func lifeUsedUpperBound(_ code: UInt8) -> Double? {
        guard code >= 0x01, code <= lifeTimeExceeded else { return nil }
        return Double(code) / 10
    }

    /// Label values for the descriptions the MMC core prints in `err_stats`
    /// (drivers/mmc/core/debugfs.c). ``errorKind(_:)`` derives the label of any other description.
    static let errorKinds: [String: String] = [
        "Command Timeout Occurred": "command_timeout", "Command CRC Errors Occurred": "command_crc",
        "Data Timeout Occurred": "data_timeout", "Data CRC Errors Occurred": "data_crc",
        "Auto-Cmd Error Occurred": "auto_command", "ADMA Error Occurred": "adma", "Tuning Error Occurred": "tuning",
        "CMDQ RED Errors": "cmdq_red", "CMDQ GCE Errors": "cmdq_gce", "CMDQ ICCE Errors": "cmdq_icce",
        "Request Timedout": "request_timeout", "CMDQ Request Timedout": "cmdq_request_timeout",
        "ICE Config Errors": "ice_config", "Controller Timedout errors": "controller_timeout",
        "Unexpected IRQ errors": "unexpected_irq",
    ]

    /// Parses the MMC host's `err_stats` debugfs file, one `# <description>:\t <count>` line per
    /// kind of error, into counts by kind label.
    ///
    /// The kernel prints each count with `%d`, so a count of 2^31 or more reads negative and is
    /// taken modulo 2^32. Throws ``ParseError`` on any other line, because a file that does not
    /// parse entirely may be truncated.
    public static func parseErrorStats(_ text: String, path: String) throws(ParseError) -> [(kind: String, count: UInt64)] {
        var counts: [(kind: String, count: UInt64)] = []
        for line in text.split(whereSeparator: \.isNewline) {
            guard line.hasPrefix("# "), let colon = line.lastIndex(of: ":"),
                  let printed = Int64(SysfsClass.trimSpace(String(line[line.index(after: colon)...]))),
                  printed >= Int64(Int32.min), printed <= Int64(UInt32.max)
            else {
                throw ParseError(path: path, expected: "lines such as \"# Data CRC Errors Occurred:\\t 0\"",
                                 content: String(line))
            }
            let description = String(line[line.index(line.startIndex, offsetBy: 2)..<colon])
            let count = printed < 0 ? UInt64(printed + (1 << 32)) : UInt64(printed)
            counts.append((errorKind(description), count))
        }
        guard !counts.isEmpty else {
            throw ParseError(path: path, expected: "lines such as \"# Data CRC Errors Occurred:\\t 0\"", content: text)
        }
        return counts
    }

    /// Returns the label of an `err_stats` description: the listed one, else the description in
    /// lower case with each run of other characters replaced by `_`.
    static func errorKind(_ description: String) -> String {
        if let known = errorKinds[description] {
            return known
        }
        var label = ""
        for character in description.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber {
                label.append(character)
            } else if !label.isEmpty, !label.hasSuffix("_") {
                label.append("_")
            }
        }
        return label.hasSuffix("_") ? String(label.dropLast()) : label
    }

    /// Parses `0x1f`, `0x1F` or `1f`.
    private static func hexByte(_ field: Substring) -> UInt8? {
        let digits = field.hasPrefix("0x") || field.hasPrefix("0X") ? field.dropFirst(2) : field
        guard !digits.isEmpty, digits.count <= 2 else { return nil }
        return UInt8(digits, radix: 16)
    }
}
