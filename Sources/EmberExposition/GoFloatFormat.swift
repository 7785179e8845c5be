/// Formats sample values exactly as the Go client library (client_golang) writes them, so Ember's output
/// matches node_exporter's byte for byte.
///
/// client_golang writes `NaN`, `+Inf` and `-Inf` by name and everything else with Go's
/// `strconv.AppendFloat(f, 'g', -1, 64)`, which picks the shortest digits that round-trip. They are in
/// exponent form (`1.699981e+09`, `1e-05`) when the decimal exponent is below -4 or at least 6, else in plain
/// form (`732147`, `0.001`, `118821.284256`). Zero is always `0`, also for -0.
enum GoFloatFormat {
    static func append(_ value: Double, to buffer: inout [UInt8]) {
        if value.isNaN {
            buffer.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            buffer.append(contentsOf: (value > 0 ? "+Inf" : "-Inf").utf8)
        } else if value == 0 {
            buffer.append(UInt8(ascii: "0"))
        } else if value == value.rounded(.towardZero), value.magnitude < 1e6 {
            appendInteger(Int64(value), to: &buffer)
        } else {
            appendShortest(value, to: &buffer)
        }
    }

    /// Writes an integer below 10^6 in magnitude, which Go's 'g' format prints without exponent or point.
    private static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        var divisor: UInt64 = 1
        while divisor * 10 <= magnitude {
            divisor *= 10
        }
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        }
    }

    /// Takes the shortest round-trip digits from Swift's `description` (both languages pick the shortest
    /// digit string that parses back to the same double) and lays them out as Go does.
    private static func appendShortest(_ value: Double, to buffer: inout [UInt8]) {
        let decimal = ShortestDecimal(value.magnitude.description)
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
        }

        let exponent = decimal.pointPosition - 1
        if exponent < -4 || exponent >= 6 {
            appendExponentForm(decimal, exponent: exponent, to: &buffer)
        } else {
            appendPlainForm(decimal, to: &buffer)
        }
    }

    /// `d.ddde±XX`, with at least two exponent digits as Go writes them.
    private static func appendExponentForm(_ decimal: ShortestDecimal, exponent: Int, to buffer: inout [UInt8]) {
        buffer.append(decimal.digits[0])
        if decimal.digits.count > 1 {
            buffer.append(UInt8(ascii: "."))
            buffer.append(contentsOf: decimal.digits[1...])
        }

        buffer.append(UInt8(ascii: "e"))
        buffer.append(UInt8(ascii: exponent < 0 ? "-" : "+"))
        let magnitude = exponent.magnitude
        if magnitude < 10 {
            buffer.append(UInt8(ascii: "0"))
        }
        appendInteger(Int64(magnitude), to: &buffer)
    }

    /// Digits with the decimal point placed, padded with zeros on either side as needed.
    private static func appendPlainForm(_ decimal: ShortestDecimal, to buffer: inout [UInt8]) {
        let digits = decimal.digits
        let point = decimal.pointPosition
        if point <= 0 {
            buffer.append(UInt8(ascii: "0"))
        } else {
            for index in 0..<point {
                buffer.append(index < digits.count ? digits[index] : UInt8(ascii: "0"))
            }
        }

        guard digits.count > point else { return }
        buffer.append(UInt8(ascii: "."))
        for index in point..<digits.count {
            buffer.append(index < 0 ? UInt8(ascii: "0") : digits[index])
        }
    }
}

/// A positive decimal as significant digits and the position of the decimal point relative to the first
/// digit: 0.00125 is digits `125` with point position -2, and 1.5e9 is `15` with point position 10.
struct ShortestDecimal {
    /// ASCII digits without leading or trailing zeros; never empty for a nonzero value.
    private(set) var digits: [UInt8] = []
    private(set) var pointPosition = 0

    /// Parses Swift's `Double.description` of a positive finite value, such as `1699981000.0`, `0.001`,
    /// `1e-05` or `1.664039048e+18`.
    init(_ text: String) {
        var digitsBeforePoint: Int?
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        // The text's length bounds the number of digits, so the array is allocated once.
        digits.reserveCapacity(text.utf8.count)

        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "."): digitsBeforePoint = digits.count
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "-") where inExponent: exponentSign = -1
            case UInt8(ascii: "0")...UInt8(ascii: "9") where inExponent: exponent = exponent * 10 + Int(byte - 48)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(byte)
            default: break
            }
        }

        pointPosition = (digitsBeforePoint ?? digits.count) + exponentSign * exponent
        trimZeros()
    }

    private mutating func trimZeros() {
        let leading = digits.prefix { $0 == UInt8(ascii: "0") }.count
        digits.removeFirst(leading)
        pointPosition -= leading
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
        }
    }
}
