/// The points of one series in one tier, compressed, keeping the newest `capacity` of them.
///
/// Points go into an open ``ChunkEncoder``, and a full chunk is sealed: a ``ChunkHeader`` and the
/// chunk's bytes are appended to the ring's byte arena. The arena contains its own index, so a ring
/// has no array per chunk and no index array, each of which cost an estimated 50 to 60 bytes of array
/// header and malloc overhead. A header takes 6 to 10 bytes where an index entry took 24.
/// The oldest sealed chunk is dropped once the points after it reach the capacity. Until then,
/// reads skip its points beyond the capacity, so readers see exactly the newest `capacity` points.
///
/// Invariants, checked after every mutation in debug builds:
/// - `storedCount` is the sum of the chunk counts, and the chunks' times increase strictly;
/// - the arena is a sequence of headers, each followed by its chunk's bytes, with nothing after the last;
/// - the points after the oldest chunk are fewer than `capacity`.
public struct CompressedRing: Sendable {
    // The stored properties are ordered and sized to keep the ring at 89 bytes (a stride of 96),
    // because every series keeps one per tier.

    /// The sealed chunks, oldest first, each a header and then the chunk's bytes.
    private var arena: [UInt8] = []
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

    /// The maximum number of points in a chunk, whatever the capacity. A saved chunk that claims more
    /// is corrupt. One run code covers many points in a few bits, so its count sets the decoding time.
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
        }

        // Chunks that ``dropOldChunks()`` would drop at once are never copied, so a ring restored
        // with a shorter capacity than it was saved with (400 days of hours into 30) is not
        // allocated at its saved size.
        let keptChunks = chunks[Self.firstKeptChunk(chunks, capacity: capacity)...]
        let arenaSize = keptChunks.reduce(0) { size, chunk in
            size + chunk.bytes.count + ChunkHeader(
                byteCount: chunk.bytes.count, count: chunk.count, firstTime: chunk.firstTime,
                lastTime: chunk.lastTime).encodedSize
        }

        // One allocation of the final size, because growing the arena chunk by chunk while thousands
        // of rings are restored leaves freed blocks between them that malloc cannot return.
        arena.reserveCapacity(arenaSize)
        for chunk in keptChunks {
            appendSealed(chunk.bytes[...], count: chunk.count, firstTime: chunk.firstTime, lastTime: chunk.lastTime,
                         resizing: false)
        }
        dropOldChunks()
        assert(verifyInvariants())
    }

    /// Returns the index of the oldest chunk that the newest `capacity` points need. The chunks
    /// before it are the ones that ``dropOldChunks()`` drops.
    private static func firstKeptChunk(_ chunks: [SealedChunk], capacity: Int) -> Int {
        var remaining = chunks.reduce(0) { $0 + $1.count }
        var first = 0
        while first < chunks.count, remaining - chunks[first].count >= capacity {
            remaining -= chunks[first].count
            first += 1
        }
        return first
    }

    /// The number of points readers see.
    public var count: Int { min(storedCount, capacity) }

    public var isEmpty: Bool { storedCount == 0 }

    /// The time of the newest point.
    public var lastTime: Int64? { open?.lastTime ?? lastSealed?.header.lastTime }

    /// Appends a point. Returns false, storing nothing, when `time` is not after the newest point's.
    @discardableResult
    public mutating func append(time: Int64, values: PointValues) -> Bool {
        precondition(values.count == fieldCount, "point has \(values.count) values, ring has \(fieldCount)")
        if let lastTime, time <= lastTime {
            return false
        }

        if open == nil || !open!.append(time: time, values: values) {
            let hints = open?.exponents ?? FieldExponents()
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

    /// The sealed chunks, for persistence. Each shares the arena's storage, so taking them copies
    /// nothing. A ring that seals a chunk while a save still uses them copies its arena first.
    public var sealed: [SealedChunk] {
        var chunks: [SealedChunk] = []
        forEachSealed { header, bytes in
            chunks.append(SealedChunk(
                bytes: arena[bytes], count: header.count, firstTime: header.firstTime,
                lastTime: header.lastTime))
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
        var count = 0
        var firstTime: Int64?
        var lastTime: Int64?
        forEachSealed { header, _ in
            count += 1
            firstTime = firstTime ?? header.firstTime
            lastTime = header.lastTime
        }
        return (count, firstTime, lastTime)
    }

    /// Number of chunks, the open one included.
    var chunkCount: Int { sealedSummary.count + (open == nil ? 0 : 1) }

    /// Estimated bytes allocated for the arena, chunk headers included (see ``StorageBreakdown``).
    /// Bytes the arena can hold without reallocating, for tests.
    var arenaCapacity: Int { arena.capacity }

    var sealedAllocationEstimate: Int {
        StorageBreakdown.arraySize(capacity: arena.capacity, stride: 1)
    }

    /// Bytes of compressed data stored, without the chunk headers and the arrays' fixed overhead.
    public var byteCount: Int {
        var total = open?.byteCount ?? 0
        forEachSealed { header, _ in total += header.byteCount }
        return total
    }

    /// Calls `body` with each visible point with a time in `range`, oldest first.
    public func forEach(in range: ClosedRange<Int64>, _ body: (Int64, PointValues) -> Void) throws(HistoryDecodingError) {
        var skip = storedCount - count
        try forEachSealed { (header, bytes) throws(HistoryDecodingError) in
            try visit(arena[bytes], count: header.count, firstTime: header.firstTime, lastTime: header.lastTime,
                      range: range, skip: &skip, body)
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
        } else if let (header, bytes) = lastSealed {
            try ChunkDecoder.forEach(bytes: arena[bytes], count: header.count, fieldCount: fieldCount, layout: layout,
                                     record)
        }
        return newest
    }

    /// The newest sealed chunk's header and the range of its bytes in the arena.
    private var lastSealed: (header: ChunkHeader, bytes: Range<Int>)? {
        var newest: (ChunkHeader, Range<Int>)?
        forEachSealed { newest = ($0, $1) }
        return newest
    }

    /// Calls `body` with each sealed chunk's header and the range of its bytes in the arena, oldest first.
    private func forEachSealed<Failure: Error>(
        _ body: (ChunkHeader, Range<Int>) throws(Failure) -> Void
    ) throws(Failure) {
        var start = 0
        while start < arena.count {
            let (header, bodyStart) = ChunkHeader.read(arena, at: start)
            let end = bodyStart + header.byteCount
            try body(header, bodyStart..<end)
            start = end
        }
    }

    /// Appends a sealed chunk. With `resizing` false the arena keeps its capacity, which a restore
    /// reserved for all its chunks: ``reserveArena(adding:)`` would shrink it to the first chunk and
    /// then grow it once per chunk.
    private mutating func appendSealed(
        _ bytes: ArraySlice<UInt8>, count: Int, firstTime: Int64, lastTime: Int64, resizing: Bool = true
    ) {
        let header = ChunkHeader(byteCount: bytes.count, count: count, firstTime: firstTime, lastTime: lastTime)
        if resizing {
            reserveArena(adding: header.encodedSize + bytes.count)
        }
        header.append(to: &arena)
        arena.append(contentsOf: bytes)
        storedCount += count
    }

    private mutating func sealOpenChunk() {
        guard let open else { return }
        let header = ChunkHeader(
            byteCount: open.byteCount, count: open.count, firstTime: open.firstTime, lastTime: open.lastTime)
        reserveArena(adding: header.encodedSize + header.byteCount)
        header.append(to: &arena)
        open.appendBytes(to: &arena)
        self.open = nil
    }

    /// Makes room for `extra` more bytes, reallocating the arena at exactly its new size when it is
    /// too small or would keep more than an eighth unused. Growing by doubling would leave up to half
    /// of it unused, and an arena never shrunk would keep the size it had when its chunks were largest.
    private mutating func reserveArena(adding extra: Int) {
        let needed = arena.count + extra
        let unused = arena.capacity - needed
        // glibc malloc rounds a block up to a multiple of 16 bytes, so a small arena is not shrunk for that.
        guard unused < 0 || unused > max(32, needed / 8) else { return }

        var resized: [UInt8] = []
        resized.reserveCapacity(needed)
        resized.append(contentsOf: arena)
        arena = resized
    }

    /// The oldest sealed chunk's header and the arena offset just past its bytes.
    private var firstSealed: (header: ChunkHeader, end: Int)? {
        guard !arena.isEmpty else { return nil }
        let (header, bodyStart) = ChunkHeader.read(arena, at: 0)
        return (header, bodyStart + header.byteCount)
    }

    private mutating func dropOldChunks() {
        while let (oldest, end) = firstSealed, storedCount - oldest.count >= capacity {
            arena.removeFirst(end)
            storedCount -= oldest.count
        }
    }

    func verifyInvariants() -> Bool {
        var total = open?.count ?? 0
        var previous: Int64?
        var ordered = true
        var end = 0
        forEachSealed { header, bytes in
            total += header.count
            ordered = ordered && previous.map { header.firstTime > $0 } ?? true
            previous = header.lastTime
            end = bytes.upperBound
        }
        guard total == storedCount, ordered, end == arena.count else { return false }
        if let open, let previous, open.firstTime <= previous {
            return false
        }
        return firstSealed.map { storedCount - $0.header.count < capacity } ?? true
    }
}
