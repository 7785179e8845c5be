/// Compresses points into one chunk until it is full or a value no longer fits the chunk's modes.
///
/// The chunk starts with the first point: its time in 64 bits, then per field a mode bit and either
/// the exponent (4 bits) and the integer in ``IntegerCode``, or the float's 64 bits. Each later point
/// is predicted from the one before: the time from the previous step, a scaled field from its
/// previous integer or, as ``ChunkLayout`` describes, from other fields, and an XOR field from its
/// previous bits. A run of points that all match their predictions is written as `0` and
/// the run length in ``GammaCode``, so a constant series costs a few bits per chunk. Any other point
/// is `1`, the time's delta-of-delta in ``ResidualCode``, then each scaled field's residual in
/// ``ResidualCode`` and each XOR field in Gorilla's XOR code.
///
/// The stored properties are ordered and sized so that the encoder takes 57 bytes, because every
/// series keeps one open encoder per tier. The field states are kept in front of the bits in the writer's
/// byte array, so an open chunk costs one allocation in place of two.
struct ChunkEncoder {

    /// 24 bytes per field, because every open chunk of every series keeps one per field.
    struct FieldState: BitwiseCopyable {
        /// The previous value: its bits in XOR mode, the integer in scaled mode.
        var previous: UInt64
        var residuals = ResidualCode.State()
        /// The exponent in scaled mode, ``xorCode`` in XOR mode.
        private let modeCode: Int8
        /// Leading and trailing zero counts of the last XOR window. A leading count of 255 means no
        /// window yet.
        var leading: UInt8 = 255
        var trailing: UInt8 = 0

        private static let xorCode = Int8.min

        init(mode: FieldMode, previous: UInt64) {
            self.previous = previous
            if case .scaled(let exponent) = mode {
                modeCode = Int8(exponent)
            } else {
                modeCode = FieldState.xorCode
            }
        }

        var mode: FieldMode {
            modeCode == FieldState.xorCode ? .xor : .scaled(exponent: Int(modeCode))
        }

        /// Returns whether `value` is stored as ``previous`` is: the same bits in XOR mode, or in scaled
        /// mode the value that the previous integer stores. Such a value has a residual of 0 against a
        /// prediction from the previous value alone.
        ///
        /// In scaled mode this holds only below 2^50 in magnitude. There the two roundings between the
        /// integer and its value err by less than a quarter, so ``FieldMode/scaled(_:exponent:)`` gives
        /// the previous integer back. Larger integers return false and take the full prediction.
        @inline(__always)
        func repeats(_ value: Double) -> Bool {
            guard modeCode != FieldState.xorCode else { return previous == value.bitPattern }
            let integer = Int64(bitPattern: previous)
            guard integer.magnitude < 1 << 50 else { return false }
            return FieldMode.value(integer, exponent: Int(modeCode)).bitPattern == value.bitPattern
        }
    }

    /// The chunk's bits, after `fieldCount` field states.
    private var writer: BitWriter
    private let layout: ChunkLayout
    /// Whether fields are predicted from each other (see ``ChunkLayout``).
    private let predictsAcrossFields: Bool
    private let storedFieldCount: UInt8
    /// Maximum number of points in the chunk, which ``CompressedRing`` chooses from its capacity.
    /// 16 bits each for it, the count and the run, because a ring's chunks hold at most 1024 points.
    private let pointLimit: UInt16
    private var pointCount: UInt16 = 1
    /// Points after the last written one that matched their predictions, not written yet.
    private var pendingRun: UInt16 = 0
    let firstTime: Int64
    private(set) var lastTime: Int64
    private var lastDelta: Int64 = 0
    private var timeResiduals = ResidualCode.State()

    var maximumPoints: Int { Int(pointLimit) }
    var count: Int { Int(pointCount) }
    var fieldCount: Int { Int(storedFieldCount) }

    /// Starts a chunk with its first point. `exponentHints` from the previous chunk raise the
    /// exponents, so that a first value with fewer digits does not force a new chunk at the next value.
    init(
        time: Int64, values: PointValues, layout: ChunkLayout = .independent, maximumPoints: Int = 128,
        exponentHints: FieldExponents = FieldExponents()
    ) {
        precondition(maximumPoints > 0 && maximumPoints <= UInt16.max, "chunk size \(maximumPoints) out of range")
        pointLimit = UInt16(maximumPoints)
        self.layout = layout
        firstTime = time
        lastTime = time
        storedFieldCount = UInt8(values.count)
        // The first point takes 8 bytes of time and a few bytes per field, and a chunk of a constant
        // series of short decimals stays within this room.
        writer = BitWriter(
            prefixCount: values.count * MemoryLayout<FieldState>.stride, streamCapacity: 8 + 8 * values.count)
        writer.write(UInt64(bitPattern: time), bits: 64)
        let exponents = ChunkEncoder.exponents(for: values, layout: layout, hints: exponentHints)
        // The modes in fixed storage: an array of them cost an allocation per chunk start.
        var modes = FieldExponents()
        for index in 0..<values.count {
            let field = ChunkEncoder.startField(values[index], exponent: exponents[index], writer: &writer)
            writer.storePrefix(field, at: index * MemoryLayout<FieldState>.stride)
            modes[index] = field.mode.scaledExponent
        }
        predictsAcrossFields = layout.predictsAcrossFields(count: values.count) { modes.mode(of: $0) }
    }

    private func field(_ index: Int) -> FieldState {
        writer.loadPrefix(as: FieldState.self, at: index * MemoryLayout<FieldState>.stride)
    }

    private mutating func setField(_ index: Int, _ state: FieldState) {
        writer.storePrefix(state, at: index * MemoryLayout<FieldState>.stride)
    }

    /// Returns each field's exponent, or nil for XOR mode. A hint raises the needed exponent when the
    /// value still fits. Fields that the layout predicts from each other get the largest of their
    /// exponents, so that the prediction applies.
    ///
    /// Fixed storage in place of arrays, because every series starts a chunk in the cycle that closes
    /// its first bucket. With arrays this took about 4 700 instructions per start, now about 1 100
    /// (callgrind, node_exporter fixture).
    static func exponents(for values: PointValues, layout: ChunkLayout, hints: FieldExponents) -> FieldExponents {
        var exponents = FieldExponents()
        for index in 0..<values.count {
            guard let needed = FieldMode.exponent(for: values[index]) else { continue }
            let hinted = max(needed, hints[index] ?? needed)
            // For a large value the hint's exponent can overflow the integer range, but the needed one
            // cannot, so only a larger hint needs the check.
            exponents[index] = hinted == needed || FieldMode.scaled(values[index], exponent: hinted) == nil
                ? needed : hinted
        }

        let groupCount = min(layout.sharedExponentFieldCount, values.count)
        guard groupCount > 1 else { return exponents }
        var shared = Int.min
        for index in 0..<groupCount {
            guard let exponent = exponents[index] else { return exponents }
            shared = max(shared, exponent)
        }
        // A field's own exponent stores its value already.
        for index in 0..<groupCount
        where exponents[index] != shared && FieldMode.scaled(values[index], exponent: shared) == nil {
            return exponents
        }
        for index in 0..<groupCount {
            exponents[index] = shared
        }
        return exponents
    }

    private static func startField(_ value: Double, exponent: Int?, writer: inout BitWriter) -> FieldState {
        guard let exponent, let integer = FieldMode.scaled(value, exponent: exponent) else {
            writer.writeBit(false)
            writer.write(value.bitPattern, bits: 64)
            return FieldState(mode: .xor, previous: value.bitPattern)
        }
        // The mode bit `1` and the exponent in one write.
        writer.write(1 << 4 | UInt64(exponent - FieldMode.minimumExponent), bits: 5)
        IntegerCode.write(integer, to: &writer)
        return FieldState(mode: .scaled(exponent: exponent), previous: UInt64(bitPattern: integer))
    }

    /// The exponent of each scaled field, for the next chunk's hints.
    var exponents: FieldExponents {
        var exponents = FieldExponents()
        for index in 0..<fieldCount {
            exponents[index] = field(index).mode.scaledExponent
        }
        return exponents
    }

    var isFull: Bool { count >= maximumPoints }

    /// Appends a point. Returns false when the chunk is full, `time` is not after the last one, or a
    /// value does not fit its field's mode, and the caller then starts a new chunk.
    mutating func append(time: Int64, values: PointValues) -> Bool {
        precondition(values.count == fieldCount, "point has \(values.count) values, chunk has \(fieldCount)")
        guard !isFull, time > lastTime else { return false }

        // A single field is predicted from its previous value alone, so a repeated value at the same step
        // extends the run and changes no field state. Checking that first skips the prediction, about 200
        // instructions of the 420 a point took in the raw tier (callgrind, node_exporter fixture).
        if storedFieldCount == 1, time &- lastTime == lastDelta, field(0).repeats(values[0]) {
            lastTime = time
            pointCount += 1
            pendingRun += 1
            return true
        }

        // Computed before anything is written, so a rejected point leaves the chunk unchanged.
        guard let next = predict(values) else { return false }

        let delta = time &- lastTime
        let deltaOfDelta = delta &- lastDelta
        lastDelta = delta
        lastTime = time
        pointCount += 1
        if deltaOfDelta == 0, next.residuals.isZero(count: fieldCount) {
            pendingRun += 1
        } else {
            ChunkEncoder.writeRun(pendingRun, to: &writer)
            pendingRun = 0
            writer.writeBit(true)
            ResidualCode.write(deltaOfDelta, state: &timeResiduals, to: &writer)
            writeFields(next.residuals)
        }
        for index in 0..<fieldCount {
            var state = field(index)
            state.previous = next.words[index]
            setField(index, state)
        }
        return true
    }

    /// Returns each field's new state word (integer or float bits) and its residual against the
    /// prediction, or nil when a value does not fit its field's scale.
    private func predict(_ values: PointValues) -> (words: FieldWords, residuals: FieldWords)? {
        var previous = FieldWords()
        var words = FieldWords()
        for index in 0..<fieldCount {
            let state = field(index)
            previous[index] = state.previous
            if case .scaled(let exponent) = state.mode {
                guard let integer = FieldMode.scaled(values[index], exponent: exponent) else { return nil }
                words[index] = UInt64(bitPattern: integer)
            } else {
                words[index] = values[index].bitPattern
            }
        }

        var residuals = FieldWords()
        for index in 0..<fieldCount {
            guard case .scaled = field(index).mode else {
                residuals[index] = words[index] ^ previous[index]
                continue
            }
            let prediction = layout.prediction(
                of: index, previous: previous, current: words, acrossFields: predictsAcrossFields)
            residuals[index] = UInt64(bitPattern: Int64(bitPattern: words[index]) &- prediction)
        }
        return (words, residuals)
    }

    private mutating func writeFields(_ residuals: FieldWords) {
        for step in 0..<PointValues.maximumCount {
            let index = layout.field(codedAt: step)
            guard index < fieldCount else { continue }
            // A copy of the state, because the writer that the code writes to contains the state.
            var state = field(index)
            if case .scaled = state.mode {
                ResidualCode.write(Int64(bitPattern: residuals[index]), state: &state.residuals, to: &writer)
            } else {
                ChunkEncoder.writeXOR(residuals[index], field: &state, writer: &writer)
            }
            setField(index, state)
        }
    }

    /// Writes a run of `length` predicted points as `0` and the length, or nothing for no run.
    private static func writeRun(_ length: UInt16, to writer: inout BitWriter) {
        guard length > 0 else { return }
        writer.writeBit(false)
        GammaCode.write(UInt64(length), to: &writer)
    }

    /// Writes an XOR of a value with the previous one in Gorilla's code. The code is `0` when the value
    /// is unchanged, `10` and the meaningful bits when they fit the previous window, else `11`, 5 bits
    /// of leading zeros, 6 bits of width and the meaningful bits.
    private static func writeXOR(_ xor: UInt64, field: inout FieldState, writer: inout BitWriter) {
        guard xor != 0 else {
            writer.writeBit(false)
            return
        }

        let leading = UInt8(min(xor.leadingZeroBitCount, 31))
        let trailing = UInt8(xor.trailingZeroBitCount)
        if field.leading != 255, leading >= field.leading, trailing >= field.trailing {
            writer.write(0b10, bits: 2)
            let width = 64 - Int(field.leading) - Int(field.trailing)
            writer.write(xor >> UInt64(field.trailing), bits: width)
            return
        }

        let width = 64 - Int(leading) - Int(trailing)
        // `11`, 5 bits of leading zeros and 6 bits of width in one write. A width of 64 is stored
        // as 0, because 6 bits store 0...63 and a width is never 0.
        writer.write(0b11 << 11 | UInt64(leading) << 6 | UInt64(width & 63), bits: 13)
        writer.write(xor >> UInt64(trailing), bits: width)
        field.leading = leading
        field.trailing = trailing
    }

    /// Returns the chunk's bytes, the pending run included, in an array of exactly their size.
    func seal() -> SealedChunk {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        appendBytes(to: &bytes)
        return SealedChunk(bytes: bytes[...], count: count, firstTime: firstTime, lastTime: lastTime)
    }

    /// Appends the chunk's bytes, the pending run included, to `arena`.
    func appendBytes(to arena: inout [UInt8]) {
        // Copying the writer costs an allocation only when a run is written into the copy.
        var finished = writer
        ChunkEncoder.writeRun(pendingRun, to: &finished)
        arena.append(contentsOf: finished.stream)
    }

    /// Size of the chunk so far in bytes, the pending run included.
    var byteCount: Int {
        let runBits = pendingRun > 0 ? 1 + GammaCode.bitCount(UInt64(pendingRun)) : 0
        return (writer.bitCount + runBits + 7) / 8
    }

    /// Estimated bytes allocated for the bit buffer and the field states in front of it (see
    /// ``StorageBreakdown``).
    var allocatedByteEstimate: Int {
        StorageBreakdown.arraySize(capacity: writer.bytes.capacity, stride: 1)
    }
}
