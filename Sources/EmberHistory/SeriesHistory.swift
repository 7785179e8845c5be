import EmberCore

/// One stored point: when the cycle started on the monotonic clock, and the value.
public struct HistoryPoint: Sendable, Equatable {
    public let monotonicNanoseconds: UInt64
    public let value: Double

    public init(monotonicNanoseconds: UInt64, value: Double) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.value = value
    }
}

/// Minimum, maximum and mean over the points of one trailing window.
public struct WindowAggregate: Sendable, Equatable {
    public let minimum: Double
    public let maximum: Double
    public let average: Double
    public let count: Int
}

/// The raw tier of every series: the newest values of each, keyed by series identity.
///
/// Each series is a ``CompressedRing`` of (cycle number, value) points, so a series sampled every
/// cycle costs one bit per point for its time and a few bits for a slowly changing value. The
/// monotonic time of each cycle is kept once, in a ring shared by all series. Series not sampled
/// for a whole retention period are dropped, so the store follows devices that come and go.
/// Timestamps come from the monotonic clock, so a wall-clock step cannot reorder or stretch a window.
public final class RawHistory {
    private var series = SeriesTable<CompressedRing>()
    private var timestamps: RingBuffer<UInt64>

    var seriesRings: SeriesTable<CompressedRing> { series }
    var timestampCapacity: Int { timestamps.storageCapacity }
    private var cycle: Int64 = 0
    private let capacity: Int
    private let retentionNanoseconds: UInt64
    private var lastSweepNanoseconds: UInt64 = 0
    /// The table position of each sample of the last recorded snapshot, in sample order (4 bytes a
    /// series). A snapshot usually lists the same series in the same order, so the key stored at the
    /// hinted position is compared instead of hashing the key. A stale hint fails that comparison.
    private var positionHints: [Int32] = []
    /// For each table position, the index of its blocks in ``windowBlocks``, or -1 for a series that
    /// gets no trailing window.
    private var blockIndexes: [Int32] = []
    /// Block aggregates of the series that get trailing windows (see ``MetricDescriptor/windowUnit``).
    private var windowBlocks: [WindowBlocks] = []

    /// How often vanished series are looked for; sweeping every cycle would copy the table each second.
    private static let sweepIntervalNanoseconds: UInt64 = 60_000_000_000

    /// Creates a store that keeps `retentionSeconds` of values sampled every `intervalSeconds`.
    public init(retentionSeconds: Double, intervalSeconds: Double) {
        precondition(intervalSeconds > 0, "sample interval must be positive")
        capacity = max(1, Int((retentionSeconds / intervalSeconds).rounded(.up)))
        timestamps = RingBuffer(minimumCapacity: capacity)
        retentionNanoseconds = UInt64(retentionSeconds * 1e9)
    }

    /// The number of series currently stored.
    public var seriesCount: Int { series.count }

    public var seriesKeys: [String] { series.keys }

    /// Makes room for `count` series in all, so that a table filled at once is not an eighth too large.
    func reserveSeries(_ count: Int) {
        series.reserveCapacity(count)
    }

    /// Returns the number of points stored for one series.
    public func pointCount(forSeries key: String) -> Int {
        series[key]?.count ?? 0
    }

    /// The number of values stored over all series.
    public var storedValueCount: Int { series.values.reduce(0) { $0 + $1.count } }

    /// Bytes of compressed data stored.
    public var byteCount: Int { series.values.reduce(0) { $0 + $1.byteCount } }

    /// Appends every sample of `snapshot` as one cycle, then drops series older than the retention.
    public func record(_ snapshot: Snapshot) {
        record(snapshot, keys: snapshot.samples.map(\.seriesKey))
    }

    /// Records `snapshot` with the series keys of its samples computed already, in sample order.
    /// Returns the table position of each sample's series, for ``record(_:positions:)``.
    @discardableResult
    func record(_ snapshot: Snapshot, keys: [String]) -> [Int32] {
        cycle += 1
        timestamps.append(snapshot.monotonicNanoseconds)
        var hints: [Int32] = []
        swap(&hints, &positionHints)
        if hints.count != keys.count {
            hints = [Int32](repeating: -1, count: keys.count)
        }
        for (index, (sample, key)) in zip(snapshot.samples, keys).enumerated() {
            let position = position(of: key, hint: Int(hints[index]))
            hints[index] = Int32(truncatingIfNeeded: position)
            append(sample, position: position)
        }
        positionHints = hints
        dropExpired(before: snapshot.monotonicNanoseconds)
        return hints
    }

    /// Records `snapshot` with the table position of each sample's series, in sample order: the
    /// positions that ``record(_:keys:)`` returned for the same series, while ``generation`` has
    /// kept its value since. `windowed` is true for each sample whose descriptor has a window unit.
    func record(_ snapshot: Snapshot, positions: [Int32], windowed: [Bool]) {
        precondition(positions.count == snapshot.samples.count && windowed.count == positions.count,
                      "one position per sample")
        cycle += 1
        timestamps.append(snapshot.monotonicNanoseconds)

        // The loop works on local arrays, because each access to a stored property of this class
        // takes a dynamic exclusivity check, about 90 instructions (callgrind).
        let cycle = cycle
        let blockCapacity = timestamps.capacity
        var indexes: [Int32] = []
        var blocks: [WindowBlocks] = []
        swap(&indexes, &blockIndexes)
        swap(&blocks, &windowBlocks)
        series.modifyValues { rings in
            snapshot.samples.withUnsafeBufferPointer { samples in
                for index in samples.indices {
                    let position = Int(positions[index])
                    var values = PointValues(count: 1)
                    values[0] = samples[index].value
                    if rings[position].append(time: cycle, values: values) {
                        RawHistory.addToBlocks(samples[index].value, windowed: windowed[index], position: position,
                                               cycle: cycle, isFirstPoint: rings[position].count == 1,
                                               blockCapacity: blockCapacity, indexes: &indexes, blocks: &blocks)
                    }
                }
            }
        }
        swap(&indexes, &blockIndexes)
        swap(&blocks, &windowBlocks)
        dropExpired(before: snapshot.monotonicNanoseconds)
    }

    /// The table's removal count: earlier positions stay valid while it keeps its value.
    var generation: Int { series.generation }

    /// Returns the table position of series `key`, or nil when the series is not stored.
    func position(ofSeries key: String) -> Int? {
        series.position(of: key)
    }

    private func append(_ sample: Sample, position: Int) {
        var values = PointValues(count: 1)
        values[0] = sample.value
        if series[position: position].append(time: cycle, values: values) {
            addToBlocks(sample, position: position)
        }
    }

    /// Returns the table position of `key`, adding an empty ring when the series is new.
    private func position(of key: String, hint: Int) -> Int {
        if hint >= 0, hint < series.count, series.keys[hint] == key {
            return hint
        }
        if let known = series.position(of: key) {
            return known
        }
        blockIndexes.append(-1)
        return series.set(CompressedRing(capacity: capacity, fieldCount: 1), for: key)
    }

    /// Adds a stored point to the window blocks of its series. A series whose descriptor loses its window
    /// unit loses its blocks, because later points would be missing from them.
    private func addToBlocks(_ sample: Sample, position: Int) {
        RawHistory.addToBlocks(sample.value, windowed: sample.descriptor.windowUnit != nil, position: position,
                               cycle: cycle, isFirstPoint: series[position: position].count == 1,
                               blockCapacity: timestamps.capacity, indexes: &blockIndexes, blocks: &windowBlocks)
    }

    /// Adds `value`, a point stored at `cycle`, to the blocks of its series in `blocks`, whose index per
    /// table position is in `indexes` (see ``blockIndexes``). New blocks keep `blockCapacity` cycles, and
    /// `isFirstPoint` is true when `value` is the first point stored for the series.
    /// `windowed` is true when the sample's descriptor has a window unit. The caller passes the value
    /// and the flag, not the sample, because copying a sample retains and releases its descriptor and
    /// labels, about 80 instructions (callgrind).
    private static func addToBlocks(
        _ value: Double, windowed: Bool, position: Int, cycle: Int64, isFirstPoint: Bool, blockCapacity: Int,
        indexes: inout [Int32], blocks: inout [WindowBlocks]
    ) {
        guard windowed else {
            indexes[position] = -1
            return
        }

        if indexes[position] < 0 {
            indexes[position] = Int32(blocks.count)
            blocks.append(WindowBlocks(cycleCapacity: blockCapacity, startingAt: cycle, hasEveryPoint: isFirstPoint))
        }
        blocks[Int(indexes[position])].add(value, atCycle: cycle)
    }

    /// Returns the stored points of one series, oldest first.
    public func points(forSeries key: String) -> [HistoryPoint] {
        var points: [HistoryPoint] = []
        forEachPoint(of: key, sinceCycle: 1) { points.append($0) }
        return points
    }

    /// Returns the stored points of one series taken at or after `monotonicNanoseconds`.
    public func points(forSeries key: String, since monotonicNanoseconds: UInt64) -> [HistoryPoint] {
        var points: [HistoryPoint] = []
        forEachPoint(of: key, sinceCycle: firstCycle(since: monotonicNanoseconds)) { points.append($0) }
        return points
    }

    /// Aggregates the values of `key` taken within `windowSeconds` before `now`, the newest included.
    public func aggregate(forSeries key: String, windowSeconds: Double, now: UInt64) -> WindowAggregate? {
        aggregate(forSeries: key, sinceCycle: firstCycle(windowSeconds: windowSeconds, now: now))
    }

    /// Returns the first cycle within `windowSeconds` before `now`, which is the same for every series.
    func firstCycle(windowSeconds: Double, now: UInt64) -> Int64 {
        let span = UInt64(windowSeconds * 1e9)
        // A point exactly `span` old is outside the window.
        return firstCycle(since: now >= span ? now - span + 1 : 0)
    }

    /// Aggregates the values of `key` from cycle `first` on; NaN values are left out.
    ///
    /// For a series with window blocks, a window of up to 64 cycles reads the newest values kept in memory.
    /// A longer one reads the block it starts in, decoded once and kept, then the whole blocks. Its sum
    /// adds block sums, so the average can differ from a sum over single points in the last bits.
    func aggregate(forSeries key: String, sinceCycle first: Int64) -> WindowAggregate? {
        guard let position = series.position(of: key) else { return nil }
        return aggregate(forSeries: key, at: position, sinceCycle: first)
    }

    /// Aggregates as ``aggregate(forSeries:sinceCycle:)`` does, for the series `key` at table
    /// `position`, which ``position(ofSeries:)`` returned while ``generation`` had its current value.
    func aggregate(forSeries key: String, at position: Int, sinceCycle first: Int64) -> WindowAggregate? {
        guard first <= cycle else { return nil }

        let start = max(first, oldestTimestampedCycle)
        var summary = WindowBlocks.Summary()
        switch windowSource(position: position, start: start) {
        case .recentValues(let recent):
            summary = recent
        case .blocks(let blocks, let wholeBlocks):
            if start < wholeBlocks {
                startBlock(of: key, position: position, number: wholeBlocks / WindowBlocks.cyclesPerBlock - 1)
                    .add(from: start, to: wholeBlocks, into: &summary)
            }
            blocks.merge(from: wholeBlocks, through: cycle, into: &summary)
        case .points:
            addPoints(of: key, position: position, in: start...cycle, to: &summary)
        }

        guard summary.count > 0 else { return nil }
        return WindowAggregate(minimum: summary.minimum, maximum: summary.maximum,
                               average: summary.sum / Double(summary.count), count: Int(summary.count))
    }

    /// The source of a window's aggregates, cheapest first.
    enum WindowSource {
        /// The newest values kept in memory, already aggregated.
        case recentValues(WindowBlocks.Summary)
        /// The points before the first whole block, which starts at the given cycle, then the blocks.
        case blocks(WindowBlocks, Int64)
        /// Every stored point of the window.
        case points
    }

    /// Returns where the aggregates of the series at `position` from cycle `start` on come from.
    func windowSource(position: Int, start: Int64) -> WindowSource {
        let blockIndex = Int(blockIndexes[position])
        guard blockIndex >= 0 else { return .points }

        let blocks = windowBlocks[blockIndex]
        if let recent = blocks.recentSummary(from: start, through: cycle) {
            return .recentValues(recent)
        }
        let wholeBlocks = WindowBlocks.blockStart(atOrAfter: start)
        return blocks.covers(from: wholeBlocks, through: cycle) ? .blocks(blocks, wholeBlocks) : .points
    }

    /// Returns where the window of `windowSeconds` before `now` of `key` takes its aggregates from.
    func windowSource(forSeries key: String, windowSeconds: Double, now: UInt64) -> WindowSource? {
        guard let position = series.position(of: key) else { return nil }
        let first = firstCycle(windowSeconds: windowSeconds, now: now)
        return windowSource(position: position, start: max(first, oldestTimestampedCycle))
    }

    /// Returns the values of block `number` of the series at `position`, decoding it when they are not
    /// kept yet. The block is in the past, so its points no longer change.
    private func startBlock(of key: String, position: Int, number: Int64) -> BlockValues {
        let blockIndex = Int(blockIndexes[position])
        if let kept = windowBlocks[blockIndex].startBlock(number) {
            return kept
        }

        var values = BlockValues(number: number)
        let first = number * WindowBlocks.cyclesPerBlock
        forEachValue(of: key, position: position, in: first...(first + WindowBlocks.cyclesPerBlock - 1)) {
            values.set($1, atCycle: $0)
        }
        windowBlocks[blockIndex].keepStartBlock(values)
        return values
    }

    private func addPoints(
        of key: String, position: Int, in cycles: ClosedRange<Int64>, to summary: inout WindowBlocks.Summary
    ) {
        forEachValue(of: key, position: position, in: cycles) { _, value in
            if !value.isNaN {
                summary.add(value)
            }
        }
    }

    /// Calls `body` with the cycle and value of each point of the series at `position` within `cycles`.
    private func forEachValue(
        of key: String, position: Int, in cycles: ClosedRange<Int64>, _ body: (Int64, Double) -> Void
    ) {
        do {
            try series[position: position].forEach(in: cycles) { time, values in
                body(time, values[0])
            }
        } catch {
            // The ring decodes only what this process encoded, so a failure is a bug in the codec.
            assertionFailure("raw history of \(key) failed to decode: \(error)")
        }
    }

    /// Returns the oldest cycle still timestamped whose time is at or after `monotonicNanoseconds`.
    private func firstCycle(since monotonicNanoseconds: UInt64) -> Int64 {
        var index = timestamps.count
        while index > 0, timestamps[index - 1] >= monotonicNanoseconds {
            index -= 1
        }
        return oldestTimestampedCycle + Int64(index)
    }

    private var oldestTimestampedCycle: Int64 { cycle - Int64(timestamps.count) + 1 }

    private func forEachPoint(of key: String, sinceCycle first: Int64, _ body: (HistoryPoint) -> Void) {
        guard let ring = series[key], first <= cycle else { return }
        let oldest = oldestTimestampedCycle
        do {
            try ring.forEach(in: max(first, oldest)...cycle) { pointCycle, values in
                body(HistoryPoint(monotonicNanoseconds: timestamps[Int(pointCycle - oldest)], value: values[0]))
            }
        } catch {
            // The ring decodes only what this process encoded, so a failure is a bug in the codec.
            assertionFailure("raw history of \(key) failed to decode: \(error)")
        }
    }

    private func dropExpired(before now: UInt64) {
        guard now > retentionNanoseconds, now - lastSweepNanoseconds >= RawHistory.sweepIntervalNanoseconds else {
            return
        }
        lastSweepNanoseconds = now
        let oldest = oldestTimestampedCycle
        let keysBefore = series.keys
        var expired = Set<String>()
        series.removeAll { key, ring in
            // A series whose newest cycle has left the timestamp ring is older than the retention too.
            guard let last = ring.lastTime, last >= oldest else { return expired.insert(key).inserted }
            let newest = timestamps[Int(last - oldest)]
            return newest < now && now - newest >= retentionNanoseconds && expired.insert(key).inserted
        }
        guard !expired.isEmpty else { return }

        dropBlocks(keptPositions: keysBefore.indices.filter { !expired.contains(keysBefore[$0]) })
    }

    /// Keeps the window blocks of the series at `keptPositions`, which the table kept in that order.
    private func dropBlocks(keptPositions: [Int]) {
        var indexes: [Int32] = []
        var blocks: [WindowBlocks] = []
        indexes.reserveCapacity(keptPositions.count)
        for position in keptPositions {
            let index = blockIndexes[position]
            guard index >= 0 else {
                indexes.append(-1)
                continue
            }
            indexes.append(Int32(blocks.count))
            blocks.append(windowBlocks[Int(index)])
        }
        blockIndexes = indexes
        windowBlocks = blocks
    }
}
