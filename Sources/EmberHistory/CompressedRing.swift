/// The points of one series in one tier, compressed, keeping the newest `capacity` of them.
///
/// Points go into an open ``ChunkEncoder``, and a full chunk is sealed: its bytes are appended to
/// the ring's byte arena and a 24-byte entry to its chunk index. One arena per ring, in place of an
/// array per chunk, saves an estimated 50 to 60 bytes of array header and malloc overhead per chunk.
/// The oldest sealed chunk is dropped once the points after it reach the capacity. Until then,
/// reads skip its points beyond the capacity, so readers see exactly the newest `capacity` points.
///
/// Invariants, checked after every mutation in debug builds:
/// - `storedCount` is the sum of the chunk counts, and the chunks' times increase strictly;
/// - the arena's size is the sum of the sealed chunks' byte counts;
/// - the points after the oldest chunk are fewer than `capacity`.
public struct CompressedRing: Sendable {
    /// One sealed chunk in the arena. Its offset is the sum of the byte counts before it.
    struct ChunkEntry: Sendable {
        let byteCount: UInt32
        let count: UInt32
        let firstTime: Int64
        let lastTime: Int64
    }

    // The stored properties are ordered and sized to keep the ring at 112 bytes, because every
    // series keeps one per tier.

    /// The sealed chunks' bytes, oldest first, back to back.
    private var arena: [UInt8] = []
    private var entries: [ChunkEntry] = []
    public let capacity: Int
    private var storedCount = 0
    private let chunkPointLimit: Int32
    private let storedFieldCount: UInt8
    public let layout: ChunkLayout
    private(set) var open: ChunkEncoder?

    public var fieldCount: Int { Int(storedFieldCount) }
    /// Points per chunk: a quarter of the capacity, from 64 to 1024. The ring keeps up to one chunk
    /// beyond its capacity until it can drop a whole chunk, and each chunk starts with a full
    /// header, so smaller chunks cost more header bytes and larger ones more dropped-late points.
    public var chunkPoints: Int { Int(chunkPointLimit) }

    /// The most points any chunk holds, whatever the capacity. A saved chunk that claims more is
    /// corrupt: a run code covers many points in a few bits, so its count alone sets the decoding time.
    public static let maximumChunkPoints = 1024

    public init(capacity: Int, fieldCount: Int, layout: ChunkLayout = .independent) {
        precondition(capacity > 0, "ring capacity must be positive, got \(capacity)")
        precondition(fieldCount > 0 && fieldCount <= PointValues.maximumCount, "a point has 1...5 values")
        self.capacity = capacity
        storedFieldCount = UInt8(fieldCount)
        self.layout = layout
        chunkPointLimit = Int32(min(Self.maximumChunkPoints, max(64, capacity / 4)))
    }

    /// Rebuilds a ring from persisted chunks, oldest first. Throws when a chunk is empty or the chunks
    /// overlap in time.
    public init(
        capacity: Int, fieldCount: Int, layout: ChunkLayout = .independent, chunks: [SealedChunk]
    ) throws(HistoryDecodingError) {
        self.init(capacity: capacity, fieldCount: fieldCount, layout: layout)
        var previousTime: Int64?
        for chunk in chunks {
            guard chunk.count > 0, chunk.firstTime <= chunk.lastTime else { throw .invalid("empty chunk") }
            guard chunk.count <= Self.maximumChunkPoints, chunk.bytes.count <= UInt32.max else {
                throw .invalid("chunk of \(chunk.count) points in \(chunk.bytes.count) bytes is too large")
            }
            if let previousTime, chunk.firstTime <= previousTime {
                throw .invalid("chunks out of time order")
            }
            previousTime = chunk.lastTime
            appendSealed(chunk.bytes[...], count: chunk.count, firstTime: chunk.firstTime, lastTime: chunk.lastTime)
        }
        dropOldChunks()
        assert(verifyInvariants())
    }

    /// The number of points readers see.
    public var count: Int { min(storedCount, capacity) }

    public var isEmpty: Bool { storedCount == 0 }

    /// The time of the newest point.
    public var lastTime: Int64? { open?.lastTime ?? entries.last?.lastTime }

    /// Appends a point. Returns false, storing nothing, when `time` is not after the newest point's.
    @discardableResult
    public mutating func append(time: Int64, values: PointValues) -> Bool {
        precondition(values.count == fieldCount, "point has \(values.count) values, ring has \(fieldCount)")
        if let lastTime, time <= lastTime {
            return false
        }

        if open == nil || !open!.append(time: time, values: values) {
            let hints = open?.exponents ?? []
            sealOpenChunk()
            open = ChunkEncoder(
                time: time, values: values, layout: layout, maximumPoints: chunkPoints, exponentHints: hints)
        }
        storedCount += 1
        dropOldChunks()
        assert(verifyInvariants())
        return true
    }

    /// The open chunk, sealed as it is now.
    public var openChunk: SealedChunk? { open?.seal() }

    /// The sealed chunks, each copied out of the arena, for persistence.
    public var sealed: [SealedChunk] {
        var chunks: [SealedChunk] = []
        chunks.reserveCapacity(entries.count)
        forEachSealed { bytes, entry in
            chunks.append(SealedChunk(
                bytes: Array(bytes), count: Int(entry.count), firstTime: entry.firstTime, lastTime: entry.lastTime))
        }
        return chunks
    }

    /// Every chunk, the open one sealed as it is now, for persistence.
    public var chunks: [SealedChunk] {
        sealed + (open.map { [$0.seal()] } ?? [])
    }

    /// Number of sealed chunks, and the first and last time they cover, which change only when a
    /// chunk is sealed or dropped.
    public var sealedSummary: (count: Int, firstTime: Int64?, lastTime: Int64?) {
        (entries.count, entries.first?.firstTime, entries.last?.lastTime)
    }

    /// Number of chunks, the open one included.
    var chunkCount: Int { entries.count + (open == nil ? 0 : 1) }

    /// Estimated bytes allocated for the arena and the chunk index (see ``StorageBreakdown``).
    var sealedAllocationEstimate: Int {
        StorageBreakdown.arraySize(capacity: arena.capacity, stride: 1)
            + StorageBreakdown.arraySize(capacity: entries.capacity, stride: MemoryLayout<ChunkEntry>.stride)
    }

    /// Bytes of compressed data stored, without the arrays' fixed overhead.
    public var byteCount: Int {
        arena.count + (open?.byteCount ?? 0)
    }

    /// Calls `body` with each visible point with a time in `range`, oldest first.
    public func forEach(in range: ClosedRange<Int64>, _ body: (Int64, PointValues) -> Void) throws(HistoryDecodingError) {
        var skip = storedCount - count
        var start = 0
        for entry in entries {
            let end = start + Int(entry.byteCount)
            try visit(arena[start..<end], count: Int(entry.count), firstTime: entry.firstTime,
                      lastTime: entry.lastTime, range: range, skip: &skip, body)
            start = end
        }
        if let open {
            let chunk = open.seal()
            try visit(chunk.bytes[...], count: chunk.count, firstTime: chunk.firstTime, lastTime: chunk.lastTime,
                      range: range, skip: &skip, body)
        }
    }

    private func visit(
        _ bytes: ArraySlice<UInt8>, count: Int, firstTime: Int64, lastTime: Int64, range: ClosedRange<Int64>,
        skip: inout Int, _ body: (Int64, PointValues) -> Void
    ) throws(HistoryDecodingError) {
        if lastTime < range.lowerBound || firstTime > range.upperBound {
            skip = max(0, skip - count)
            return
        }
        var remainingSkip = skip
        try ChunkDecoder.forEach(bytes: bytes, count: count, fieldCount: fieldCount, layout: layout) { time, values in
            if remainingSkip > 0 {
                remainingSkip -= 1
            } else if range.contains(time) {
                body(time, values)
            }
            return time <= range.upperBound
        }
        skip = remainingSkip
    }

    /// Returns the newest point.
    public func last() throws(HistoryDecodingError) -> (time: Int64, values: PointValues)? {
        var newest: (Int64, PointValues)?
        let record = { (time: Int64, values: PointValues) -> Bool in
            newest = (time, values)
            return true
        }
        if let open {
            try ChunkDecoder.forEach(open.seal(), fieldCount: fieldCount, layout: layout, record)
        } else if let entry = entries.last {
            let bytes = arena[(arena.count - Int(entry.byteCount))...]
            try ChunkDecoder.forEach(bytes: bytes, count: Int(entry.count), fieldCount: fieldCount, layout: layout,
                                     record)
        }
        return newest
    }

    /// Calls `body` with each sealed chunk's bytes, in place in the arena, and its entry.
    private func forEachSealed(_ body: (ArraySlice<UInt8>, ChunkEntry) -> Void) {
        var start = 0
        for entry in entries {
            let end = start + Int(entry.byteCount)
            body(arena[start..<end], entry)
            start = end
        }
    }

    private mutating func appendSealed(_ bytes: ArraySlice<UInt8>, count: Int, firstTime: Int64, lastTime: Int64) {
        // Reserving the exact size keeps the arena from growing by doubling, which would leave up to
        // half of it unused.
        arena.reserveCapacity(arena.count + bytes.count)
        arena.append(contentsOf: bytes)
        entries.reserveCapacity(entries.count + 1)
        entries.append(ChunkEntry(
            byteCount: UInt32(bytes.count), count: UInt32(count), firstTime: firstTime, lastTime: lastTime))
        storedCount += count
    }

    private mutating func sealOpenChunk() {
        guard let open else { return }
        let before = arena.count
        arena.reserveCapacity(arena.count + open.byteCount)
        open.appendBytes(to: &arena)
        entries.reserveCapacity(entries.count + 1)
        entries.append(ChunkEntry(
            byteCount: UInt32(arena.count - before), count: UInt32(open.count), firstTime: open.firstTime,
            lastTime: open.lastTime))
        self.open = nil
    }

    private mutating func dropOldChunks() {
        while let oldest = entries.first, storedCount - Int(oldest.count) >= capacity {
            arena.removeFirst(Int(oldest.byteCount))
            entries.removeFirst()
            storedCount -= Int(oldest.count)
        }
    }

    func verifyInvariants() -> Bool {
        let total = entries.reduce(0) { $0 + Int($1.count) } + (open?.count ?? 0)
        guard total == storedCount, entries.reduce(0, { $0 + Int($1.byteCount) }) == arena.count else { return false }
        var previous = Int64.min
        for entry in entries {
            guard entry.firstTime > previous || previous == .min, entry.lastTime >= entry.firstTime else {
                return false
            }
            previous = entry.lastTime
        }
        if let open, !entries.isEmpty, open.firstTime <= previous {
            return false
        }
        return entries.isEmpty || storedCount - Int(entries[0].count) < capacity
    }
}
