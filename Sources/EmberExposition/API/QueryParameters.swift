/// The parameters of a URL query string (`a=1&b=x%20y`), percent-decoded, with `+` as a space as
/// HTML forms and `curl --data-urlencode` send it.
public struct QueryParameters: Sendable {
    public private(set) var values: [String: String] = [:]
    /// Names given more than once, which the API rejects instead of guessing which one was meant.
    public private(set) var repeated: [String] = []
    /// Parts that are not valid percent-encoding or UTF-8.
    public private(set) var invalid: [String] = []

    public init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = QueryParameters.decode(pieces[0]),
                  let value = QueryParameters.decode(pieces.count > 1 ? pieces[1] : "")
            else {
                invalid.append(String(part))
                continue
            }
            if values[name] != nil {
                repeated.append(name)
            }
            values[name] = value
        }
    }

    public subscript(name: String) -> String? { values[name] }

    /// Decodes `%XX` escapes and `+`, or returns nil for a malformed escape or invalid UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Returns the value of one hex digit, or nil for another byte.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Parses API times: Unix seconds (`1733340000`, `1733340000.5`) or RFC 3339 (`2026-12-04T21:00:00Z`,
/// `2026-12-04T22:00:00.250+01:00`).
public enum APITime {
    /// Returns seconds since the Unix epoch, or nil when `text` is neither form.
    public static func parse(_ text: String) -> Double? {
        if let seconds = Double(text), seconds.isFinite {
            return seconds
        }
        return parseRFC3339(Array(text.utf8))
    }

    private static func parseRFC3339(_ bytes: [UInt8]) -> Double? {
        // The fixed part: YYYY-MM-DDTHH:MM:SS, 19 bytes.
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
              let hour = digits(bytes, 11, 2), let minute = digits(bytes, 14, 2), let second = digits(bytes, 17, 2),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year, month), hour < 24, minute < 60, second < 61
        else { return nil }

        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, let digit = digits(bytes, index, 1) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard let offset = zoneOffsetSeconds(bytes[index...]) else { return nil }

        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Double(seconds) + fraction
    }

    /// Parses `Z` or `±HH:MM` to the zone's offset from UTC in seconds.
    private static func zoneOffsetSeconds(_ rest: ArraySlice<UInt8>) -> Int? {
        let zone = Array(rest)
        if zone == [UInt8(ascii: "Z")] || zone == [UInt8(ascii: "z")] {
            return 0
        }
        guard zone.count == 6, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"),
              zone[3] == UInt8(ascii: ":"), let hours = digits(zone, 1, 2), let minutes = digits(zone, 4, 2),
              hours < 24, minutes < 60
        else { return nil }
        let offset = hours * 3600 + minutes * 60
        return zone[0] == UInt8(ascii: "-") ? -offset : offset
    }

    private static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
