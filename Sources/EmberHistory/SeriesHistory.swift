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
    func record(_ snapshot: Snapshot, keys: [String]) {
        cycle += 1
        timestamps.append(snapshot.monotonicNanoseconds)
        for (sample, key) in zip(snapshot.samples, keys) {
            var values = PointValues(count: 1)
            values[0] = sample.value
            let position = series.position(of: key)
                ?? series.set(CompressedRing(capacity: capacity, fieldCount: 1), for: key)
            series[position: position].append(time: cycle, values: values)
        }
        dropExpired(before: snapshot.monotonicNanoseconds)
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
        let span = UInt64(windowSeconds * 1e9)
        // A point exactly `span` old is outside the window.
        let start = now >= span ? now - span + 1 : 0
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var sum = 0.0
        var count = 0
        forEachPoint(of: key, sinceCycle: firstCycle(since: start)) { point in
            guard !point.value.isNaN else { return }
            minimum = min(minimum, point.value)
            maximum = max(maximum, point.value)
            sum += point.value
            count += 1
        }
        guard count > 0 else { return nil }
        return WindowAggregate(minimum: minimum, maximum: maximum, average: sum / Double(count), count: count)
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
        series.removeAll { _, ring in
            // A series whose newest cycle has left the timestamp ring is older than the retention too.
            guard let last = ring.lastTime, last >= oldest else { return true }
            let newest = timestamps[Int(last - oldest)]
            return newest < now && now - newest >= retentionNanoseconds
        }
    }
}
