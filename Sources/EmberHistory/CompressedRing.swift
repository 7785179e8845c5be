/// The points of one series in one tier, compressed, keeping the newest `capacity` of them.
///
/// Points go into an open ``ChunkEncoder``, and a full chunk is sealed. The oldest sealed chunk is
/// dropped once the points after it reach the capacity. Until then, reads skip its points beyond
/// the capacity, so readers see exactly the newest `capacity` points.
///
/// Invariants, checked after every mutation in debug builds:
/// - `storedCount` is the sum of the chunk counts, and the chunks' times increase strictly;
/// - the points after the oldest chunk are fewer than `capacity`.
public struct CompressedRing: Sendable {
    public let capacity: Int
    public let fieldCount: Int
    public let layout: ChunkLayout
    /// Points per chunk: a quarter of the capacity, from 64 to 1024. Each chunk costs an estimated 90
    /// bytes of array and allocation overhead and a header, so larger chunks save memory, but the ring keeps
    /// up to one chunk beyond its capacity until it can drop a whole chunk.
    public let chunkPoints: Int
    public private(set) var sealed: [SealedChunk] = []
    private(set) var open: ChunkEncoder?
    private var storedCount = 0

    public init(capacity: Int, fieldCount: Int, layout: ChunkLayout = .independent) {
        precondition(capacity > 0, "ring capacity must be positive, got \(capacity)")
        self.capacity = capacity
        self.fieldCount = fieldCount
        self.layout = layout
        chunkPoints = min(1024, max(64, capacity / 4))
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
            if let previousTime, chunk.firstTime <= previousTime {
                throw .invalid("chunks out of time order")
            }
            previousTime = chunk.lastTime
            sealed.append(chunk)
            storedCount += chunk.count
        }
        dropOldChunks()
        assert(verifyInvariants())
    }

    /// The number of points readers see.
    public var count: Int { min(storedCount, capacity) }

    public var isEmpty: Bool { storedCount == 0 }

    /// The time of the newest point.
    public var lastTime: Int64? { open?.lastTime ?? sealed.last?.lastTime }

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

    /// Every chunk, the open one sealed as it is now, for persistence.
    public var chunks: [SealedChunk] {
        sealed + (open.map { [$0.seal()] } ?? [])
    }

    /// Bytes of compressed data stored, without the arrays' fixed overhead.
    public var byteCount: Int {
        sealed.reduce(0) { $0 + $1.bytes.count } + (open?.byteCount ?? 0)
    }

    /// Calls `body` with each visible point with a time in `range`, oldest first.
    public func forEach(in range: ClosedRange<Int64>, _ body: (Int64, PointValues) -> Void) throws(HistoryDecodingError) {
        var skip = storedCount - count
        for chunk in chunks {
            if chunk.lastTime < range.lowerBound || chunk.firstTime > range.upperBound {
                skip = max(0, skip - chunk.count)
                continue
            }
            try ChunkDecoder.forEach(chunk, fieldCount: fieldCount, layout: layout) { time, values in
                if skip > 0 {
                    skip -= 1
                } else if range.contains(time) {
                    body(time, values)
                }
                return time <= range.upperBound
            }
        }
    }

    /// Returns the newest point.
    public func last() throws(HistoryDecodingError) -> (time: Int64, values: PointValues)? {
        guard let chunk = open?.seal() ?? sealed.last else { return nil }
        var newest: (Int64, PointValues)?
        try ChunkDecoder.forEach(chunk, fieldCount: fieldCount, layout: layout) { time, values in
            newest = (time, values)
            return true
        }
        return newest
    }

    private mutating func sealOpenChunk() {
        guard let open else { return }
        sealed.append(open.seal())
        self.open = nil
    }

    private mutating func dropOldChunks() {
        while let oldest = sealed.first, storedCount - oldest.count >= capacity {
            sealed.removeFirst()
            storedCount -= oldest.count
        }
    }

    func verifyInvariants() -> Bool {
        let total = sealed.reduce(0) { $0 + $1.count } + (open?.count ?? 0)
        guard total == storedCount else { return false }
        var previous = Int64.min
        for chunk in sealed {
            guard chunk.firstTime > previous || previous == .min, chunk.lastTime >= chunk.firstTime else { return false }
            previous = chunk.lastTime
        }
        if let open, !sealed.isEmpty, open.firstTime <= previous {
            return false
        }
        return sealed.isEmpty || storedCount - sealed[0].count < capacity
    }
}
