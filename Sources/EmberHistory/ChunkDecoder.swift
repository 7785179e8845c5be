/// Decodes the points of a chunk written by ``ChunkEncoder``.
enum ChunkDecoder {
    private struct Field {
        let mode: FieldMode
        var previous: UInt64
        var window = (leading: 0, trailing: 0)
        var residuals = ResidualCode.State()
    }

    /// Calls `body` with each point, oldest first, until it returns false.
    static func forEach(
        _ chunk: SealedChunk, fieldCount: Int, layout: ChunkLayout = .independent, _ body: (Int64, PointValues) -> Bool
    ) throws(HistoryDecodingError) {
        try forEach(bytes: chunk.bytes[...], count: chunk.count, fieldCount: fieldCount, layout: layout, body)
    }

    /// Calls `body` with each of the `count` points in `bytes`, oldest first, until it returns false.
    static func forEach(
        bytes: ArraySlice<UInt8>, count: Int, fieldCount: Int, layout: ChunkLayout,
        _ body: (Int64, PointValues) -> Bool
    ) throws(HistoryDecodingError) {
        var reader = BitReader(bytes)
        var time = Int64(bitPattern: try reader.read(bits: 64))
        var fields: [Field] = []
        var values = PointValues(count: fieldCount)
        for index in 0..<fieldCount {
            fields.append(try readStart(&reader))
            values[index] = value(of: fields[index])
        }
        guard body(time, values) else { return }

        let acrossFields = layout.predictsAcrossFields(modes: fields.map(\.mode))
        var timeResiduals = ResidualCode.State()
        var delta: Int64 = 0
        var remaining = count - 1
        while remaining > 0 {
            // A `0` starts a run of points that match their predictions, a `1` one point of residuals.
            let isRun = try !reader.readBit()
            var points = 1
            if isRun {
                let length = try GammaCode.read(from: &reader)
                guard length <= UInt64(remaining) else {
                    throw .invalid("run of \(length) points is longer than the \(remaining) left in the chunk")
                }
                points = Int(length)
            } else {
                delta = delta &+ (try ResidualCode.read(state: &timeResiduals, from: &reader))
            }

            for _ in 0..<points {
                time = time &+ delta
                try readFields(&fields, into: &values, layout: layout, acrossFields: acrossFields, reader: &reader,
                               readsResiduals: !isRun)
                remaining -= 1
                guard body(time, values) else { return }
            }
        }
    }

    private static func readStart(_ reader: inout BitReader) throws(HistoryDecodingError) -> Field {
        guard try reader.readBit() else {
            return Field(mode: .xor, previous: try reader.read(bits: 64))
        }
        let exponent = Int(try reader.read(bits: 4)) + FieldMode.minimumExponent
        guard exponent <= FieldMode.maximumExponent else {
            throw .invalid("scale exponent \(exponent) is above the maximum, \(FieldMode.maximumExponent)")
        }
        let integer = try IntegerCode.read(from: &reader)
        return Field(mode: .scaled(exponent: exponent), previous: UInt64(bitPattern: integer))
    }

    private static func value(of field: Field) -> Double {
        guard case .scaled(let exponent) = field.mode else { return Double(bitPattern: field.previous) }
        return FieldMode.value(Int64(bitPattern: field.previous), exponent: exponent)
    }

    /// Advances every field by one point: by residuals read from `reader`, or, in a run, by zero
    /// residuals without reading. Fields are read in the layout's coding order.
    private static func readFields(
        _ fields: inout [Field], into values: inout PointValues, layout: ChunkLayout, acrossFields: Bool,
        reader: inout BitReader, readsResiduals: Bool
    ) throws(HistoryDecodingError) {
        var previous = FieldWords()
        for index in 0..<fields.count {
            previous[index] = fields[index].previous
        }

        var current = FieldWords()
        for step in 0..<PointValues.maximumCount {
            let index = layout.field(codedAt: step)
            guard index < fields.count else { continue }
            if case .scaled = fields[index].mode {
                var integer = layout.prediction(
                    of: index, previous: previous, current: current, acrossFields: acrossFields)
                if readsResiduals {
                    integer = integer &+ (try ResidualCode.read(state: &fields[index].residuals, from: &reader))
                }
                current[index] = UInt64(bitPattern: integer)
            } else {
                let xor = readsResiduals ? try readXOR(window: &fields[index].window, reader: &reader) : 0
                current[index] = previous[index] ^ xor
            }
        }

        for index in 0..<fields.count {
            fields[index].previous = current[index]
            values[index] = value(of: fields[index])
        }
    }

    /// Reads one value of Gorilla's XOR code (see ``ChunkEncoder``) and returns the XOR.
    static func readXOR(
        window: inout (leading: Int, trailing: Int), reader: inout BitReader
    ) throws(HistoryDecodingError) -> UInt64 {
        guard try reader.readBit() else { return 0 }

        if try reader.readBit() {
            window.leading = Int(try reader.read(bits: 5))
            let width = Int(try reader.read(bits: 6))
            window.trailing = 64 - window.leading - (width == 0 ? 64 : width)
            guard window.trailing >= 0 else { throw .invalid("XOR window wider than 64 bits") }
        }
        let width = 64 - window.leading - window.trailing
        return try reader.read(bits: width) << UInt64(window.trailing)
    }
}
