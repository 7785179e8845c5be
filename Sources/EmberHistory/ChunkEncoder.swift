/// Compresses points into one chunk until it is full or a value no longer fits the chunk's modes.
struct ChunkEncoder {
    /// Maximum number of points in the chunk, which ``CompressedRing`` chooses from its capacity.
    let maximumPoints: Int

    private struct FieldState {
        let mode: FieldMode
        /// The previous value: its bits in XOR mode, the integer in scaled mode.
        var previous: UInt64
        /// Leading and trailing zero counts of the last XOR window. A leading count of 255 means no
        /// window yet.
        var leading: UInt8 = 255
        var trailing: UInt8 = 0
    }

    private var writer = BitWriter()
    private var fields: [FieldState]
    let fieldCount: Int
    /// Whether field 1 is stored as its difference from `previous + field 0` (see ``ChunkLayout``).
    private let predictsField1: Bool
    private(set) var count = 1
    let firstTime: Int64
    private(set) var lastTime: Int64
    private var lastDelta: Int64 = 0

    /// Starts a chunk with its first point. A field uses scaled mode when the value is a short decimal.
    /// `exponentHints` from the previous chunk raise the exponent, so that a first value with fewer
    /// digits does not force a new chunk at the next value.
    init(
        time: Int64, values: PointValues, layout: ChunkLayout = .independent, maximumPoints: Int = 128,
        exponentHints: [Int?] = []
    ) {
        self.maximumPoints = maximumPoints
        fieldCount = values.count
        firstTime = time
        lastTime = time
        fields = []
        fields.reserveCapacity(values.count)
        writer.write(UInt64(bitPattern: time), bits: 64)
        for index in 0..<values.count {
            let value = values[index]
            let hint = index < exponentHints.count ? exponentHints[index] : nil
            fields.append(ChunkEncoder.startField(value, hint: hint, writer: &writer))
        }
        predictsField1 = layout.predictsField1(modes: fields.map(\.mode))
    }

    private static func startField(_ value: Double, hint: Int?, writer: inout BitWriter) -> FieldState {
        if let needed = FieldMode.exponent(for: value) {
            // For a large value the hint's exponent can overflow the integer range, but the needed one cannot.
            var exponent = max(needed, hint ?? 0)
            if FieldMode.scaled(value, exponent: exponent) == nil {
                exponent = needed
            }
            let integer = FieldMode.scaled(value, exponent: exponent)!
            writer.writeBit(true)
            writer.write(UInt64(exponent), bits: 3)
            IntegerCode.write(integer, to: &writer)
            return FieldState(mode: .scaled(exponent: exponent), previous: UInt64(bitPattern: integer))
        }
        writer.writeBit(false)
        writer.write(value.bitPattern, bits: 64)
        return FieldState(mode: .xor, previous: value.bitPattern)
    }

    /// The exponent of each scaled field, for the next chunk's hints.
    var exponents: [Int?] {
        fields.map { field in
            if case .scaled(let exponent) = field.mode { return exponent }
            return nil
        }
    }

    var isFull: Bool { count >= maximumPoints }

    /// Appends a point. Returns false when the chunk is full, `time` is not after the last one, or a
    /// value does not fit its field's mode, and the caller then starts a new chunk.
    mutating func append(time: Int64, values: PointValues) -> Bool {
        precondition(values.count == fieldCount, "point has \(values.count) values, chunk has \(fieldCount)")
        guard !isFull, time > lastTime else { return false }

        // Checked before anything is written, so a rejected point leaves the chunk unchanged.
        for index in 0..<fieldCount {
            if case .scaled(let exponent) = fields[index].mode,
               FieldMode.scaled(values[index], exponent: exponent) == nil {
                return false
            }
        }

        let delta = time &- lastTime
        IntegerCode.write(delta &- lastDelta, to: &writer)
        lastDelta = delta
        lastTime = time
        var firstIncrement: Int64 = 0
        for index in 0..<fieldCount {
            if case .scaled(let exponent) = fields[index].mode {
                let integer = FieldMode.scaled(values[index], exponent: exponent)!
                let prediction = Int64(bitPattern: fields[index].previous) &+ (index == 1 && predictsField1 ? firstIncrement : 0)
                IntegerCode.write(integer &- prediction, to: &writer)
                if index == 0 {
                    firstIncrement = integer
                }
                fields[index].previous = UInt64(bitPattern: integer)
            } else {
                ChunkEncoder.writeXOR(values[index].bitPattern, field: &fields[index], writer: &writer)
            }
        }
        count += 1
        return true
    }

    /// Writes a value in Gorilla's XOR code. The code is `0` when the value is unchanged, `10` and the
    /// meaningful bits when they fit the previous window, else `11`, 5 bits of leading zeros, 6 bits of
    /// width and the meaningful bits.
    private static func writeXOR(_ bits: UInt64, field: inout FieldState, writer: inout BitWriter) {
        let xor = bits ^ field.previous
        field.previous = bits
        guard xor != 0 else {
            writer.writeBit(false)
            return
        }

        let leading = UInt8(min(xor.leadingZeroBitCount, 31))
        let trailing = UInt8(xor.trailingZeroBitCount)
        writer.writeBit(true)
        if field.leading != 255, leading >= field.leading, trailing >= field.trailing {
            writer.writeBit(false)
            let width = 64 - Int(field.leading) - Int(field.trailing)
            writer.write(xor >> UInt64(field.trailing), bits: width)
            return
        }

        let width = 64 - Int(leading) - Int(trailing)
        writer.writeBit(true)
        writer.write(UInt64(leading), bits: 5)
        // A width of 64 is stored as 0, because 6 bits store 0...63 and a width is never 0.
        writer.write(UInt64(width & 63), bits: 6)
        writer.write(xor >> UInt64(trailing), bits: width)
        field.leading = leading
        field.trailing = trailing
    }

    /// Returns the chunk's bytes in an array of exactly their size.
    func seal() -> SealedChunk {
        let bytes = [UInt8](unsafeUninitializedCapacity: writer.bytes.count) { buffer, initialized in
            _ = buffer.initialize(from: writer.bytes)
            initialized = writer.bytes.count
        }
        return SealedChunk(bytes: bytes, count: count, firstTime: firstTime, lastTime: lastTime)
    }

    /// Size of the chunk so far, in bytes.
    var byteCount: Int { writer.bytes.count }

    /// Estimated bytes allocated for the bit buffer and the field states (see ``StorageBreakdown``).
    var allocatedByteEstimate: Int {
        StorageBreakdown.arraySize(capacity: writer.bytes.capacity, stride: 1)
            + StorageBreakdown.arraySize(capacity: fields.capacity, stride: MemoryLayout<FieldState>.stride)
    }
}

/// Decodes the points of a chunk written by ``ChunkEncoder``.
enum ChunkDecoder {
    /// Calls `body` with each point, oldest first, until it returns false.
    static func forEach(
        _ chunk: SealedChunk, fieldCount: Int, layout: ChunkLayout = .independent, _ body: (Int64, PointValues) -> Bool
    ) throws(HistoryDecodingError) {
        var reader = BitReader(chunk.bytes)
        var modes: [FieldMode] = []
        var previous: [UInt64] = []
        var windows: [(leading: Int, trailing: Int)] = Array(repeating: (0, 0), count: fieldCount)
        var values = PointValues(count: fieldCount)

        var time = Int64(bitPattern: try reader.read(bits: 64))
        for index in 0..<fieldCount {
            if try reader.readBit() {
                let exponent = Int(try reader.read(bits: 3))
                guard exponent <= FieldMode.maximumExponent else { throw .invalid("scale exponent \(exponent) is above the maximum, \(FieldMode.maximumExponent)") }
                let integer = try IntegerCode.read(from: &reader)
                modes.append(.scaled(exponent: exponent))
                previous.append(UInt64(bitPattern: integer))
                values[index] = Double(integer) / FieldMode.scale(exponent)
            } else {
                let bits = try reader.read(bits: 64)
                modes.append(.xor)
                previous.append(bits)
                values[index] = Double(bitPattern: bits)
            }
        }
        guard body(time, values) else { return }
        let predictsField1 = layout.predictsField1(modes: modes)

        var delta: Int64 = 0
        for _ in 1..<max(1, chunk.count) {
            delta = delta &+ (try IntegerCode.read(from: &reader))
            time = time &+ delta
            for index in 0..<fieldCount {
                if index == 1, predictsField1 {
                    // Field 0 is scaled too, so `previous[0]` is its integer for this point.
                    previous[1] = UInt64(bitPattern: Int64(bitPattern: previous[1]) &+ Int64(bitPattern: previous[0]))
                }
                values[index] = try readValue(mode: modes[index], previous: &previous[index],
                                              window: &windows[index], reader: &reader)
            }
            guard body(time, values) else { return }
        }
    }

    private static func readValue(
        mode: FieldMode, previous: inout UInt64, window: inout (leading: Int, trailing: Int),
        reader: inout BitReader
    ) throws(HistoryDecodingError) -> Double {
        if case .scaled(let exponent) = mode {
            let integer = Int64(bitPattern: previous) &+ (try IntegerCode.read(from: &reader))
            previous = UInt64(bitPattern: integer)
            return Double(integer) / FieldMode.scale(exponent)
        }

        if try reader.readBit() {
            if try reader.readBit() {
                window.leading = Int(try reader.read(bits: 5))
                let width = Int(try reader.read(bits: 6))
                window.trailing = 64 - window.leading - (width == 0 ? 64 : width)
                guard window.trailing >= 0 else { throw .invalid("XOR window wider than 64 bits") }
            }
            let width = 64 - window.leading - window.trailing
            previous ^= try reader.read(bits: width) << UInt64(window.trailing)
        }
        return Double(bitPattern: previous)
    }
}

/// The relation between the fields of a chunk.
public enum ChunkLayout: Sendable {
    /// Each field is coded against its own previous value.
    case independent
    /// Field 0 is a counter's increase in a bucket and field 1 its last value. Field 1 is coded
    /// against `previous last + increase`, which is exact unless the counter reset, so the last
    /// value costs one bit per bucket instead of repeating the increase.
    case counter

    /// Returns whether field 1 is predicted from field 0 in a chunk with these field modes. That is
    /// the case only in the counter layout when fields 0 and 1 are integers at the same scale.
    func predictsField1(modes: [FieldMode]) -> Bool {
        guard self == .counter, modes.count >= 2, case .scaled = modes[0] else { return false }
        return modes[0] == modes[1]
    }
}
