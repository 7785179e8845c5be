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
/// Timestamps are kept once per sampling cycle, not once per value, so a stored value costs
/// 8 bytes. Each series remembers the cycle of its newest value. A cycle in which a series was
/// absent is stored as NaN, so position `i` of a series is always cycle `last - (count-1-i)`.
/// Series not sampled for a whole retention period are dropped, so the store follows devices
/// that come and go. Timestamps come from the monotonic clock, so a wall-clock step cannot
/// reorder or stretch a window.
public final class RawHistory {
    struct SeriesValues {
        var values: RingBuffer<Double>
        var lastCycle: UInt64
    }

    private var series: [String: SeriesValues] = [:]
    private var timestamps: RingBuffer<UInt64>
    private var cycle: UInt64 = 0
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

    /// The number of values stored over all series, gaps included.
    public var storedValueCount: Int { series.values.reduce(0) { $0 + $1.values.count } }

    /// Appends every sample of `snapshot` as one cycle, then drops series older than the retention.
    public func record(_ snapshot: Snapshot) {
        cycle += 1
        timestamps.append(snapshot.monotonicNanoseconds)
        for sample in snapshot.samples {
            append(sample.value, to: sample.seriesKey)
        }
        dropExpired(before: snapshot.monotonicNanoseconds)
    }

    /// Returns the stored points of one series, oldest first, without the cycles it was absent from.
    public func points(forSeries key: String) -> [HistoryPoint] {
        guard let entry = series[key] else { return [] }
        var points: [HistoryPoint] = []
        forEachValue(of: entry, newestFirst: false) { timestamp, value in
            if !value.isNaN {
                points.append(HistoryPoint(monotonicNanoseconds: timestamp, value: value))
            }
            return true
        }
        return points
    }

    /// Aggregates the values of `key` taken within `windowSeconds` before `now`, the newest included.
    public func aggregate(forSeries key: String, windowSeconds: Double, now: UInt64) -> WindowAggregate? {
        guard let entry = series[key] else { return nil }

        let span = UInt64(windowSeconds * 1e9)
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var sum = 0.0
        var count = 0
        forEachValue(of: entry, newestFirst: true) { timestamp, value in
            if now > timestamp, now - timestamp >= span {
                return false
            }
            if !value.isNaN {
                minimum = min(minimum, value)
                maximum = max(maximum, value)
                sum += value
                count += 1
            }
            return true
        }
        guard count > 0 else { return nil }
        return WindowAggregate(minimum: minimum, maximum: maximum, average: sum / Double(count), count: count)
    }

    private func append(_ value: Double, to key: String) {
        guard var entry = series.removeValue(forKey: key) else {
            var values = RingBuffer<Double>(minimumCapacity: capacity)
            values.append(value)
            series[key] = SeriesValues(values: values, lastCycle: cycle)
            return
        }
        // Pad missed cycles with NaN so positions stay aligned with cycles.
        let missed = min(cycle - entry.lastCycle - 1, UInt64(capacity))
        for _ in 0..<missed {
            entry.values.append(.nan)
        }
        entry.values.append(value)
        entry.lastCycle = cycle
        series[key] = entry
    }

    /// Calls `body` with each stored value and its cycle's timestamp until it returns false.
    private func forEachValue(
        of entry: SeriesValues, newestFirst: Bool, _ body: (UInt64, Double) -> Bool
    ) {
        let oldestTimestampedCycle = cycle - UInt64(timestamps.count) + 1
        let count = entry.values.count
        let order = newestFirst ? Array((0..<count).reversed()) : Array(0..<count)
        for index in order {
            let valueCycle = entry.lastCycle - UInt64(count - 1 - index)
            guard valueCycle >= oldestTimestampedCycle else { continue }
            let timestamp = timestamps[Int(valueCycle - oldestTimestampedCycle)]
            if !body(timestamp, entry.values[index]) {
                return
            }
        }
    }

    private func dropExpired(before now: UInt64) {
        guard now > retentionNanoseconds, now - lastSweepNanoseconds >= RawHistory.sweepIntervalNanoseconds else {
            return
        }
        lastSweepNanoseconds = now
        let oldestTimestampedCycle = cycle - UInt64(timestamps.count) + 1
        series = series.filter { _, entry in
            // A series whose newest cycle has left the timestamp ring is older than the retention too.
            guard entry.lastCycle >= oldestTimestampedCycle else { return false }
            let newest = timestamps[Int(entry.lastCycle - oldestTimestampedCycle)]
            return now - newest < retentionNanoseconds
        }
    }
}
