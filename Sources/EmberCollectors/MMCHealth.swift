import EmberCore

/// The eMMC health report of the JEDEC eMMC 5.0 standard (JESD84-B50), as the kernel's MMC core
/// prints it in `life_time` (EXT_CSD bytes 268 and 269) and `pre_eol_info` (EXT_CSD byte 267).
///
/// SD cards have no such report, so their devices lack both files.
public enum MMCHealth {
    /// Device life time estimation codes: 0x01 means 0–10 % of the rated life used, each next code
    /// 10 % more, up to 0x0A for 90–100 %; 0x0B means the rated life is exceeded. 0x00 is "not
    /// defined" and 0x0C and above are reserved.
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

    /// Parses a file holding one hex byte, such as `pre_eol_info` (0x01 normal, 0x02 warning at 80 %
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

    /// Parses `0x1f`, `0x1F` or `1f`.
    private static func hexByte(_ field: Substring) -> UInt8? {
        let digits = field.hasPrefix("0x") || field.hasPrefix("0X") ? field.dropFirst(2) : field
        guard !digits.isEmpty, digits.count <= 2 else { return nil }
        return UInt8(digits, radix: 16)
    }
}
