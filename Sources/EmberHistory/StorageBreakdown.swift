/// The history's memory by tier and kind of series, for `ember history-benchmark`.
///
/// Compressed bytes are exact. Allocated bytes are an estimate from the arrays' capacities, with
/// glibc malloc's 64-bit rules: 8 bytes of chunk header, 16-byte granularity, 32 bytes at least.
/// Swift arrays add a 32-byte header to their elements. Dictionary storage is estimated from its
/// capacity and the key and value strides, without its metadata words.
public struct StorageBreakdown: Sendable {
    /// One group of series in one tier.
    public struct Row: Sendable {
        public var series = 0
        public var points = 0
        public var values = 0
        public var chunks = 0
        public var compressedBytes = 0
        public var allocatedBytes = 0
    }

    /// Rows by tier name and series class, such as `minute` and `gauge, constant`.
    public private(set) var rows: [String: [String: Row]] = [:]
    /// Estimated bytes of each tier's series table.
    public private(set) var tableBytes: [String: Int] = [:]

    mutating func add(tier: String, seriesClass: String, _ body: (inout Row) -> Void) {
        var row = rows[tier, default: [:]][seriesClass, default: Row()]
        body(&row)
        rows[tier, default: [:]][seriesClass] = row
    }

    mutating func addTable(tier: String, bytes: Int) {
        tableBytes[tier, default: 0] += bytes
    }

    /// Returns the size glibc malloc reserves for a request of `bytes`.
    static func mallocSize(_ bytes: Int) -> Int {
        max(32, (bytes + 8 + 15) & ~15)
    }

    /// Returns the estimated allocation of a Swift array with `capacity` elements of `stride` bytes.
    static func arraySize(capacity: Int, stride: Int) -> Int {
        capacity == 0 ? 0 : mallocSize(32 + capacity * stride)
    }

    /// Returns the class of a series: its kind, whether its raw points are all equal ("constant"),
    /// and whether its family is an `_info` family, whose value is 1 by definition. A slow counter
    /// that is constant over the raw tier's 15 minutes can still change between minute buckets.
    static func seriesClass(key: String, kind: SeriesKind?, constant: Bool) -> String {
        let family = key.prefix { $0 != "\u{1}" }
        let kindName = kind.map { "\($0)" } ?? "raw"
        if family.hasSuffix("_info") {
            return kindName + ", _info"
        }
        return kindName + (constant ? ", constant" : ", changing")
    }
}

extension CompressedRing {
    /// Returns whether every stored point after the first has the values of the second. The first
    /// bucket of a tier is usually partial, so its count and sum differ even for a constant series.
    func isConstant() -> Bool {
        var reference: PointValues?
        var index = 0
        var constant = true
        do {
            try forEach(in: Int64.min...Int64.max) { _, values in
                index += 1
                guard index > 1 else { return }
                if reference == nil { reference = values }
                constant = constant && values == reference!
            }
        } catch {
            return false
        }
        return constant
    }

    /// Estimated bytes allocated for the sealed chunks and the open chunk.
    var allocatedByteEstimate: Int {
        sealedAllocationEstimate + (open?.allocatedByteEstimate ?? 0)
    }
}

extension HistoryTier {
    /// Adds this tier's series to `breakdown`. `constantKeys` are the series whose raw points are all
    /// equal. A tier's buckets of such a series still differ in count where the sampling rate changed.
    public func addBreakdown(to breakdown: inout StorageBreakdown, constantKeys: Set<String>) {
        for (key, entry) in zip(series.keys, series.values) {
            let constant = constantKeys.contains(key)
            let seriesClass = StorageBreakdown.seriesClass(key: key, kind: entry.kind, constant: constant)
            breakdown.add(tier: name, seriesClass: seriesClass) { row in
                row.series += 1
                row.points += entry.ring.count
                row.values += entry.ring.count * entry.kind.fieldCount
                row.chunks += entry.ring.chunkCount
                row.compressedBytes += entry.ring.byteCount
                row.allocatedBytes += entry.ring.allocatedByteEstimate
            }
        }
        breakdown.addTable(tier: name, bytes: series.allocatedByteEstimate)
    }
}

extension RawHistory {
    /// Adds the raw tier's series and its shared timestamps to `breakdown`.
    public func addBreakdown(to breakdown: inout StorageBreakdown) {
        for (key, ring) in zip(seriesRings.keys, seriesRings.values) {
            let seriesClass = StorageBreakdown.seriesClass(key: key, kind: nil, constant: ring.isConstant())
            breakdown.add(tier: "raw", seriesClass: seriesClass) { row in
                row.series += 1
                row.points += ring.count
                row.values += ring.count
                row.chunks += ring.chunkCount
                row.compressedBytes += ring.byteCount
                row.allocatedBytes += ring.allocatedByteEstimate
            }
        }
        let timestamps = StorageBreakdown.arraySize(capacity: timestampCapacity, stride: 8)
        breakdown.addTable(tier: "raw", bytes: seriesRings.allocatedByteEstimate + timestamps)
    }
}

extension History {
    /// Returns where the bytes of every tier go.
    public func storageBreakdown() -> StorageBreakdown {
        var breakdown = StorageBreakdown()
        raw.addBreakdown(to: &breakdown)
        let constantKeys = Set(zip(raw.seriesRings.keys, raw.seriesRings.values).filter { $0.1.isConstant() }.map(\.0))
        minute.addBreakdown(to: &breakdown, constantKeys: constantKeys)
        hour.addBreakdown(to: &breakdown, constantKeys: constantKeys)
        hourMaximum.addBreakdown(to: &breakdown, constantKeys: constantKeys)
        return breakdown
    }
}
