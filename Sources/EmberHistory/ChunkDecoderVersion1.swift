/// Decodes the chunks of state files of format version 1, so that a saved history can be migrated.
///
/// Version 1 wrote every point after the first as a time delta-of-delta and one code per field, with
/// the fixed-bucket ``IntegerCode`` for integers and exponents of 0 to 6 only.
enum ChunkDecoderVersion1 {
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
                guard exponent <= FieldMode.maximumExponent else {
                    throw .invalid("scale exponent \(exponent) is above the maximum, \(FieldMode.maximumExponent)")
                }
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

        // Version 2 kept Gorilla's XOR code unchanged.
        previous ^= try ChunkDecoder.readXOR(window: &window, reader: &reader)
        return Double(bitPattern: previous)
    }
}
