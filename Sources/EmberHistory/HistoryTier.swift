import EmberCore

/// One aggregated tier (per minute or per hour) of every series.
///
/// Each series has an open bucket that collects its samples and a ``CompressedRing`` of closed
/// buckets. A bucket closes when a sample of a later bucket arrives, or when the tier moves to a
/// later bucket and the series had no sample since. Bucket numbers are seconds since the Unix
/// epoch divided by the width, taken from the history's anchored clock, so they never decrease
/// within a run.
public final class HistoryTier {
    /// An entry takes 160 bytes because `kind` fits in the ring's tail padding, so it stays after the ring.
    struct Series {
        var ring: CompressedRing
        let kind: SeriesKind
        var open: BucketAccumulator?
        /// The previous value of a counter, to compute the increase of the next sample.
        var previousCounterValue: Double?
    }

    public let name: String
    public let widthSeconds: Int64
    public let capacity: Int
    public let longCapacity: Int
    private(set) var series = SeriesTable<Series>()
    /// The newest bucket that any sample went to, which changes when a bucket closes.
    public private(set) var currentBucket = Int64.min
    /// Buckets before this one are already stored (restored from disk), so a sample that the clock
    /// places earlier, after the wall clock stepped back between runs, joins this bucket instead.
    private var firstWritableBucket = Int64.min

    /// Creates a tier of buckets `widthSeconds` wide keeping `capacity` buckets per series, and
    /// `longCapacity` for the series the history marks as long-lived.
    public init(name: String, widthSeconds: Int64, capacity: Int, longCapacity: Int? = nil) {
        self.name = name
        self.widthSeconds = widthSeconds
        self.capacity = capacity
        self.longCapacity = max(capacity, longCapacity ?? capacity)
    }

    public var seriesCount: Int { series.count }

    /// Makes room for `count` series in all, so that a table filled at once is not an eighth too large.
    func reserveSeries(_ count: Int) {
        series.reserveCapacity(count)
    }

    /// Returns this tier's copy of `key`, so that other tiers can share its storage.
    func storedKey(_ key: String) -> String? {
        series.storedKey(key)
    }
    public var seriesKeys: [String] { series.keys }
    public func kind(of key: String) -> SeriesKind? { series[key]?.kind }

    /// Returns the number of buckets of one series, the open one included.
    public func bucketCount(of key: String) -> Int {
        guard let entry = series[key] else { return 0 }
        return entry.ring.count + (entry.open == nil ? 0 : 1)
    }

    /// Returns the bucket number of a time in seconds since the Unix epoch.
    public func bucket(atSeconds seconds: Double) -> Int64 {
        max(Int64((seconds / Double(widthSeconds)).rounded(.down)), firstWritableBucket)
    }

    /// Moves the tier to the bucket of `seconds`, closing every open bucket before it.
    public func advance(toSeconds seconds: Double) {
        let bucket = bucket(atSeconds: seconds)
        guard bucket > currentBucket else { return }
        currentBucket = bucket
        for position in 0..<series.count {
            series[position: position].closeBucket(before: bucket)
        }
        dropExpired()
    }

    /// Adds one sample of series `key`, taken at `seconds` (anchored wall time).
    public func add(_ key: String, kind: SeriesKind, value: Double, atSeconds seconds: Double, long: Bool) {
        add(key, kind: kind, value: value, bucket: bucket(atSeconds: seconds), long: long)
    }

    /// Adds one sample of series `key` to `bucket`, and returns the series' position in the table
    /// for ``add(_:atPositions:bucket:)``. Returns nil, and stores nothing, when `value` is not finite.
    @discardableResult
    func add(_ key: String, kind: SeriesKind, value: Double, bucket: Int64, long: Bool) -> Int? {
        guard value.isFinite else { return nil }
        // One hash lookup per sample, because this runs for every series on every cycle.
        if let position = series.position(of: key) {
            series[position: position].add(value, bucket: bucket)
            return position
        }
        let ring = CompressedRing(capacity: long ? longCapacity : capacity, fieldCount: kind.fieldCount, layout: kind.layout)
        var entry = Series(ring: ring, kind: kind)
        entry.add(value, bucket: bucket)
        return series.set(entry, for: key)
    }

    /// Adds the value of each sample, where it is finite, to `bucket` of the series at the
    /// sample's position in `positions`, skipping positions of -1. The positions are ones that
    /// ``add(_:kind:value:bucket:long:)`` returned while ``generation`` had its current value.
    func add(_ samples: [Sample], atPositions positions: [Int32], bucket: Int64) {
        precondition(positions.count == samples.count, "one position per sample")
        // One access to the table for the whole loop: an access per sample took about 90
        // instructions in exclusivity checks (callgrind).
        series.modifyValues { entries in
            for index in samples.indices {
                let position = Int(positions[index])
                let value = samples[index].value
                guard position >= 0, value.isFinite else { continue }
                entries[position].add(value, bucket: bucket)
            }
        }
    }

    /// The table's removal count: earlier positions stay valid while it keeps its value.
    var generation: Int { series.generation }

    /// Calls `body` with the closed buckets of `key` whose number is in `buckets`, oldest first,
    /// then with the open bucket when `includeOpen` is true and it is in range.
    public func forEachBucket(
        of key: String, in buckets: ClosedRange<Int64>, includeOpen: Bool, _ body: (Int64, PointValues) -> Void
    ) throws(HistoryDecodingError) {
        guard let entry = series[key] else { return }
        try entry.ring.forEach(in: buckets, body)
        if includeOpen, let open = entry.open, buckets.contains(open.bucket) {
            body(open.bucket, open.values(kind: entry.kind))
        }
    }

    /// Returns the oldest bucket number of `key` that readers see, the open bucket included, or nil
    /// when the tier has no bucket of it.
    public func oldestBucket(of key: String) throws(HistoryDecodingError) -> Int64? {
        guard let entry = series[key] else { return nil }
        var oldest: Int64?
        // This decodes every closed bucket, 720 for an hour ring of the default retention.
        try entry.ring.forEach(in: Int64.min...Int64.max) { bucket, _ in
            oldest = oldest ?? bucket
        }
        return oldest ?? entry.open?.bucket
    }

    /// Drops series whose newest bucket left their retention, so vanished devices do not stay forever.
    private func dropExpired() {
        series.removeAll { _, entry in
            guard entry.open == nil, let last = entry.ring.lastTime else { return false }
            return currentBucket - last >= Int64(entry.ring.capacity)
        }
    }

    /// Returns the bytes of compressed data stored for one series.
    public func byteCount(of key: String) -> Int {
        series[key]?.ring.byteCount ?? 0
    }

    /// Bytes of compressed data stored for all series.
    public var byteCount: Int { series.values.reduce(0) { $0 + $1.ring.byteCount } }

    /// Number of buckets stored for all series.
    public var storedBucketCount: Int { series.values.reduce(0) { $0 + $1.ring.count } }

    // MARK: persistence

    /// Every series' closed buckets and its open bucket, for saving.
    public var persistedSeries: [PersistedState.Series] {
        zip(series.keys, series.values).map { key, entry in
            PersistedState.Series(
                key: key, kind: entry.kind, chunks: entry.ring.chunks,
                open: entry.open.map { ($0.bucket, $0.values(kind: entry.kind)) })
        }
    }

    /// Every series' sealed chunks, which never change once written, for the sealed-chunk file.
    public var persistedSealed: [PersistedState.Series] {
        zip(series.keys, series.values).compactMap { key, entry in
            guard entry.ring.sealedSummary.count > 0 else { return nil }
            return PersistedState.Series(key: key, kind: entry.kind, chunks: entry.ring.sealed, open: nil)
        }
    }

    /// Every series' open chunk and open bucket: the part that changes between two saves.
    public var persistedOpen: [PersistedState.Series] {
        zip(series.keys, series.values).compactMap { key, entry in
            let chunk = entry.ring.openChunk
            guard chunk != nil || entry.open != nil else { return nil }
            return PersistedState.Series(
                key: key, kind: entry.kind, chunks: chunk.map { [$0] } ?? [],
                open: entry.open.map { ($0.bucket, $0.values(kind: entry.kind)) })
        }
    }

    /// A value that changes when any series seals or drops a chunk, or a series comes or goes, so
    /// the sealed-chunk file is rewritten only then. It is only comparable within one process.
    public var sealedSignature: Int {
        var hasher = Hasher()
        hasher.combine(series.count)
        for (key, entry) in zip(series.keys, series.values) {
            let summary = entry.ring.sealedSummary
            hasher.combine(key)
            hasher.combine(summary.count)
            hasher.combine(summary.firstTime)
            hasher.combine(summary.lastTime)
        }
        return hasher.finalize()
    }

    /// Restores one series' buckets. Samples in the saved open bucket's time join it, and later
    /// samples never go before it.
    ///
    /// A series restored already (from the sealed-chunk file) gets `saved`'s chunks appended. A chunk
    /// that does not start after its newest point is skipped. Such a chunk is an older copy of a
    /// chunk sealed since, left by a crash between the two files' saves.
    public func restore(_ saved: PersistedState.Series, long: Bool) throws(HistoryDecodingError) {
        var chunks = saved.chunks
        var savedOpen = saved.open
        guard !chunks.isEmpty || savedOpen != nil || series[saved.key] != nil else { return }
        if let existing = series[saved.key] {
            guard existing.kind == saved.kind else { throw .invalid("saved as \(existing.kind) and \(saved.kind)") }
            let newest = existing.ring.lastTime ?? .min
            chunks = existing.ring.sealed + saved.chunks.filter { $0.firstTime > newest }
            if let open = savedOpen, open.bucket <= newest {
                savedOpen = nil
            }
        }
        let ring = try CompressedRing(
            capacity: long ? longCapacity : capacity, fieldCount: saved.kind.fieldCount, layout: saved.kind.layout,
            chunks: chunks)
        var entry = Series(ring: ring, kind: saved.kind)
        if let last = ring.lastTime {
            // The file's chunk times are not checked against the chunk bytes, so a corrupt one can
            // end at Int64.max, after which no bucket could ever be written.
            guard last < Int64.max else { throw .invalid("chunk ends at bucket \(last), the largest Int64") }
            firstWritableBucket = max(firstWritableBucket, last + 1)
        }
        if let open = savedOpen {
            guard open.values.count == saved.kind.fieldCount, open.bucket > (ring.lastTime ?? .min) else {
                throw .invalid("open bucket \(open.bucket) overlaps the closed ones or has the wrong width")
            }
            let count = saved.kind.hasCount ? open.values[saved.kind.fieldCount - 1] : 1
            guard count >= 1, count < Double(Int32.max), count == count.rounded() else {
                throw .invalid("open bucket \(open.bucket) has a sample count of \(count)")
            }
            entry.open = BucketAccumulator(bucket: open.bucket, kind: saved.kind, saved: open.values)
            firstWritableBucket = max(firstWritableBucket, open.bucket)
        }
        if saved.kind == .counter {
            if let open = savedOpen {
                entry.previousCounterValue = open.values[1]
            } else {
                entry.previousCounterValue = try ring.last()?.values[1]
            }
        }
        series.set(entry, for: saved.key)
    }
}

extension HistoryTier {
    /// Returns the newest closed bucket of `key`, or nil when it has none.
    func newestClosedBucket(of key: String) -> Int64? {
        series[key]?.ring.lastTime
    }

    /// Replaces the buckets of `key` after its newest closed one with `rebuilt`, oldest first, each
    /// where it has more samples than the bucket restored, or for maxima a higher maximum.
    /// All but the newest close. A series the tier lacks is added, its ring sized by `long`.
    /// Returns whether any bucket was replaced or added.
    ///
    /// Used after a restart, with buckets rebuilt from a finer tier saved more recently.
    func catchUp(_ key: String, kind: SeriesKind, rebuilt: [(bucket: Int64, values: PointValues)], long: Bool) -> Bool {
        var entry = series[key] ?? Series(
            ring: CompressedRing(capacity: long ? longCapacity : capacity, fieldCount: kind.fieldCount, layout: kind.layout),
            kind: kind)
        guard entry.kind == kind else { return false }

        var changed = false
        for (bucket, values) in rebuilt where bucket > (entry.ring.lastTime ?? .min) {
            guard bucket >= (entry.open?.bucket ?? .min) else { continue }
            if let open = entry.open, open.bucket == bucket {
                let restored = open.values(kind: kind)
                guard HistoryTier.hasMore(values, than: restored, kind: kind) else { continue }
            }
            changed = true
            entry.closeBucket(before: bucket)
            entry.open = BucketAccumulator(bucket: bucket, kind: kind, saved: values)
            firstWritableBucket = max(firstWritableBucket, bucket)
        }
        guard changed else { return false }

        if kind == .counter, let open = entry.open {
            entry.previousCounterValue = open.values(kind: kind)[1]
        }
        series.set(entry, for: key)
        return true
    }

    /// Returns whether `rebuilt` has more than `restored`, two accounts of one bucket: more
    /// samples, or for maxima a higher maximum.
    private static func hasMore(_ rebuilt: PointValues, than restored: PointValues, kind: SeriesKind) -> Bool {
        guard kind.hasCount else { return rebuilt[0] > restored[0] }
        let countField = kind.fieldCount - 1
        return rebuilt[countField] > restored[countField]
    }
}

extension HistoryTier.Series {
    mutating func add(_ value: Double, bucket: Int64) {
        closeBucket(before: bucket)
        if open == nil {
            open = BucketAccumulator(bucket: bucket)
        }
        switch kind {
        case .gauge, .maximum:
            open!.addGauge(value)
        case .counter:
            // The first sample after a start or a gap adds the increase since the last one stored,
            // so the buckets' increases add up to the counter's whole increase.
            let increase = previousCounterValue.map { counterIncrease(from: $0, to: value) } ?? 0
            open!.add(value, increase: increase)
            previousCounterValue = value
        }
    }

    mutating func closeBucket(before bucket: Int64) {
        guard let current = open, current.bucket < bucket else { return }
        ring.append(time: current.bucket, values: current.values(kind: kind))
        open = nil
    }
}
