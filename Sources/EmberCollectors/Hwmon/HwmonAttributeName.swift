/// A hwmon attribute file name split as `<type><index>_<property>`, such as `temp1_crit_alarm`
/// → (`temp`, 1, `crit_alarm`), following the kernel's sysfs-interface naming.
///
/// The split reproduces node_exporter 1.5's pattern `^([^0-9]+)([0-9]*)?(_(.+))?$` with the
/// same backtracking: the type is the longest digit-free prefix that still lets the rest match.
struct HwmonAttributeName: Equatable, Sendable {
    let type: String
    /// The sensor number; 0 when the name carries none (`beep_enable`, `vrm`).
    let index: Int
    /// The part after `<type><index>_`; empty for a bare value file such as `pwm1`.
    let property: String

    /// The sensor label value node_exporter uses: type and number, with leading zeros dropped.
    var sensor: String { type + String(index) }

    /// The sensor types node_exporter reads; files of any other type are ignored.
    static let sensorTypes: Set<String> = [
        "vrm", "beep_enable", "update_interval", "in", "cpu", "fan", "pwm", "temp", "curr", "power",
        "energy", "humidity", "intrusion", "freq",
    ]

    init(type: String, index: Int, property: String) {
        self.type = type
        self.index = index
        self.property = property
    }

    /// Splits `fileName`, or returns nil when it does not have the hwmon attribute shape.
    ///
    /// Works on UTF-8 bytes, because the collector splits every file name of every chip on each
    /// cycle. Digits and `_` are ASCII and never part of a longer UTF-8 sequence, so the split
    /// falls where Go's regexp, which matches code points, splits.
    init?(_ fileName: String) {
        let bytes = Array(fileName.utf8)
        let longestType = bytes.firstIndex(where: HwmonAttributeName.isDigit) ?? bytes.count
        for typeLength in stride(from: longestType, to: 0, by: -1) {
            switch HwmonAttributeName.split(bytes, typeLength: typeLength) {
            case .matched(let split):
                self = split
                return
            case .rejected:
                return nil
            case .noMatch:
                continue
            }
        }
        return nil
    }

    private enum SplitResult {
        case matched(HwmonAttributeName)
        case noMatch
        /// The pattern matched but the number does not fit an `Int`; node_exporter skips such a file.
        case rejected
    }

    /// Tries one type length, with the longest digit run first, as the regular expression would.
    private static func split(_ bytes: [UInt8], typeLength: Int) -> SplitResult {
        var digitsEnd = typeLength
        while digitsEnd < bytes.count, isDigit(bytes[digitsEnd]) {
            digitsEnd += 1
        }
        for end in stride(from: digitsEnd, through: typeLength, by: -1) {
            let rest = bytes[end...]
            guard rest.isEmpty || (rest.first == UInt8(ascii: "_") && rest.count > 1) else { continue }

            guard let index = parseIndex(bytes[typeLength..<end]) else { return .rejected }
            let property = rest.isEmpty ? "" : String(decoding: rest.dropFirst(), as: UTF8.self)
            let type = String(decoding: bytes[0..<typeLength], as: UTF8.self)
            return .matched(HwmonAttributeName(type: type, index: index, property: property))
        }
        return .noMatch
    }

    /// Returns the value of a run of ASCII digits, 0 for an empty run, or nil when it overflows `Int`.
    private static func parseIndex(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for digit in digits {
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            if overflowShift || overflowAdd { return nil }
            value = sum
        }
        return value
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

/// node_exporter's `cleanMetricName`: lower-cased, every character outside `[a-z0-9:_]` replaced
/// by `_`, and leading and trailing `_` removed. Used for chip labels and family name parts.
func cleanHwmonName(_ text: String) -> String {
    guard isASCII(text) else {
        return cleanNonASCIIHwmonName(text)
    }

    // Sysfs names are ASCII in practice, so this path makes one pass and at most one allocation.
    let cleaned = text.utf8.lazy.map(cleanASCIIByte)
    guard let first = cleaned.firstIndex(where: { $0 != UInt8(ascii: "_") }) else { return "" }
    let last = cleaned.lastIndex(where: { $0 != UInt8(ascii: "_") })!
    return String(decoding: cleaned[first...last], as: UTF8.self)
}

/// Lower-cases an ASCII byte and replaces one outside `[a-z0-9:_]` by `_`.
private func cleanASCIIByte(_ byte: UInt8) -> UInt8 {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"):
        byte + (UInt8(ascii: "a") - UInt8(ascii: "A"))
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"),
        UInt8(ascii: "_"):
        byte
    default:
        UInt8(ascii: "_")
    }
}

/// ``cleanHwmonName(_:)`` for text with non-ASCII characters, which Unicode lower-casing may change.
private func cleanNonASCIIHwmonName(_ text: String) -> String {
    var cleaned = ""
    for scalar in text.lowercased().unicodeScalars {
        let allowed = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == ":"
            || scalar == "_"
        cleaned.unicodeScalars.append(allowed ? scalar : "_")
    }
    return String(cleaned.drop(while: { $0 == "_" }).reversed().drop(while: { $0 == "_" }).reversed())
}
