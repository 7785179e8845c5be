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
    init?(_ fileName: String) {
        let characters = Array(fileName)
        let longestType = characters.firstIndex(where: \.isASCIIDigit) ?? characters.count
        for typeLength in stride(from: longestType, to: 0, by: -1) {
            switch HwmonAttributeName.split(characters, typeLength: typeLength) {
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
    private static func split(_ characters: [Character], typeLength: Int) -> SplitResult {
        var digitsEnd = typeLength
        while digitsEnd < characters.count, characters[digitsEnd].isASCIIDigit {
            digitsEnd += 1
        }
        for end in stride(from: digitsEnd, through: typeLength, by: -1) {
            let rest = characters[end...]
            guard rest.isEmpty || (rest.first == "_" && rest.count > 1) else { continue }

            let digits = String(characters[typeLength..<end])
            guard let index = digits.isEmpty ? 0 : Int(digits) else { return .rejected }
            let property = rest.isEmpty ? "" : String(rest.dropFirst())
            return .matched(HwmonAttributeName(type: String(characters[0..<typeLength]), index: index,
                                               property: property))
        }
        return .noMatch
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// node_exporter's `cleanMetricName`: lower-cased, every character outside `[a-z0-9:_]` replaced
/// by `_`, and leading and trailing `_` removed. Used for chip labels and family name parts.
func cleanHwmonName(_ text: String) -> String {
    var cleaned = ""
    for scalar in text.lowercased().unicodeScalars {
        let allowed = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == ":"
            || scalar == "_"
        cleaned.unicodeScalars.append(allowed ? scalar : "_")
    }
    return String(cleaned.drop(while: { $0 == "_" }).reversed().drop(while: { $0 == "_" }).reversed())
}
