/// An adaptive code for signed prediction residuals, most of which are zero or small.
///
/// Zero is one `0` bit. Any other value is `1`, a sign bit and `|value| - 1` in a Rice code: the
/// quotient by 2^k in unary, then the k low bits. k follows the mean magnitude of the recent nonzero
/// residuals, as in LOCO-I (JPEG-LS), so a field that moves in steps of about 900 costs about 13 bits
/// per change and a field that moves by 1 costs 3. Zeros do not move k, so a value that changes
/// rarely keeps a k that fits its changes. A quotient of ``escapeQuotient`` or more is written as
/// that many `1` bits, the bit width in 6 bits and the bits, so no code is longer than 96 bits.
///
/// The encoder and the decoder update the same ``State`` after each value, so k needs no storage.
enum ResidualCode {
    struct State {
        /// Sum of the recent nonzero magnitudes minus one, capped per value.
        var sum: UInt64 = 0
        /// Number of values in `sum`, halved with it when it reaches ``window``.
        var count: UInt8 = 0

        /// The Rice parameter: the smallest k with `count × 2^k ≥ sum`.
        var parameter: Int {
            var k = 0
            while k < ResidualCode.maximumParameter, (UInt64(count) << UInt64(k)) < sum {
                k += 1
            }
            return k
        }

        mutating func update(magnitudeMinusOne: UInt64) {
            sum += min(magnitudeMinusOne, ResidualCode.magnitudeCap)
            count += 1
            if count == ResidualCode.window {
                sum >>= 1
                count >>= 1
            }
        }
    }

    static let escapeQuotient = 24
    /// Number of recent values k follows.
    static let window: UInt8 = 16
    /// Caps each magnitude so that `sum` cannot overflow: 16 × 2^56 < 2^64.
    static let magnitudeCap: UInt64 = 1 << 56
    /// The largest k, which keeps `count << k` below 2^64 for counts below ``window``.
    static let maximumParameter = 58

    static func write(_ value: Int64, state: inout State, to writer: inout BitWriter) {
        guard value != 0 else {
            writer.writeBit(false)
            return
        }

        // `1` and the sign bit lead the quotient's code, and they are written with it, and with the
        // low bits when all fit 64 bits, as one field. A write per part took about 350 instructions
        // per nonzero or zero residual on average (callgrind).
        let lead: UInt64 = value < 0 ? 0b11 : 0b10
        let rest = value.magnitude - 1
        let k = state.parameter
        let quotient = rest >> UInt64(k)
        if quotient < UInt64(escapeQuotient) {
            // The quotient in unary: `quotient` ones and a zero.
            let unary = ((UInt64(1) << quotient) - 1) << 1
            let head = lead << (quotient + 1) | unary
            let headBits = 2 + Int(quotient) + 1
            if headBits + k <= UInt64.bitWidth {
                let low = rest & ((UInt64(1) << UInt64(k)) - 1)
                writer.write(head << UInt64(k) | low, bits: headBits + k)
            } else {
                writer.write(head, bits: headBits)
                writer.write(rest, bits: k)
            }
        } else {
            let width = UInt64.bitWidth - rest.leadingZeroBitCount
            let escape = (UInt64(1) << UInt64(escapeQuotient)) - 1
            writer.write(lead << UInt64(escapeQuotient + 6) | escape << 6 | UInt64(width - 1), bits: 2 + escapeQuotient + 6)
            writer.write(rest, bits: width)
        }
        state.update(magnitudeMinusOne: rest)
    }

    static func read(state: inout State, from reader: inout BitReader) throws(HistoryDecodingError) -> Int64 {
        guard try reader.readBit() else { return 0 }

        let negative = try reader.readBit()
        var quotient = 0
        while quotient < escapeQuotient, try reader.readBit() {
            quotient += 1
        }
        let rest: UInt64
        if quotient == escapeQuotient {
            let width = Int(try reader.read(bits: 6)) + 1
            rest = try reader.read(bits: width)
        } else {
            let k = state.parameter
            rest = (UInt64(quotient) << UInt64(k)) | (try reader.read(bits: k))
        }
        state.update(magnitudeMinusOne: rest)
        // Only corrupt data gives 2^64 - 1 here. Adding with wrap-around keeps that from trapping.
        let magnitude = rest &+ 1
        return negative ? Int64(bitPattern: 0 &- magnitude) : Int64(bitPattern: magnitude)
    }
}

/// Elias gamma code for counts of at least 1: `n` in binary, preceded by one `0` per bit after
/// the first. A run of 1 is one bit, a run of 1000 is 19.
enum GammaCode {
    static func write(_ value: UInt64, to writer: inout BitWriter) {
        precondition(value > 0, "gamma code takes values of at least 1")
        let width = UInt64.bitWidth - value.leadingZeroBitCount
        // The zeros are the value's own leading zeros when the code fits one write, as runs do.
        guard 2 * width - 1 > UInt64.bitWidth else {
            writer.write(value, bits: 2 * width - 1)
            return
        }
        writer.write(0, bits: width - 1)
        writer.write(value, bits: width)
    }

    static func read(from reader: inout BitReader) throws(HistoryDecodingError) -> UInt64 {
        var zeros = 0
        while try !reader.readBit() {
            zeros += 1
            guard zeros < UInt64.bitWidth else { throw .invalid("gamma code longer than 64 bits") }
        }
        return (UInt64(1) << UInt64(zeros)) | (try reader.read(bits: zeros))
    }

    static func bitCount(_ value: UInt64) -> Int {
        2 * (UInt64.bitWidth - value.leadingZeroBitCount) - 1
    }
}
