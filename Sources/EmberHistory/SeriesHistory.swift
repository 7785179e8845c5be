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

/// The raw tier of every series: the newest points of each, keyed by series identity.
///
/// Series that were not sampled for a whole retention period are dropped, so the store follows
/// devices that come and go. Timestamps come from the monotonic clock, so a wall-clock step
/// cannot reorder or stretch a window.
public final class RawHistory {
    private var series: [String: RingBuffer<HistoryPoint>] = [:]
    private let capacity: Int
    private let retentionNanoseconds: UInt64
    private var lastSweepNanoseconds: UInt64 = 0

    /// How often vanished series are looked for; sweeping every cycle would copy the table each second.
    private static let sweepIntervalNanoseconds: UInt64 = 60_000_000_000

    /// Creates a store that keeps `retentionSeconds` of points sampled every `intervalSeconds`.
    public init(retentionSeconds: Double, intervalSeconds: Double) {
        precondition(intervalSeconds > 0, "sample interval must be positive")
        capacity = max(1, Int((retentionSeconds / intervalSeconds).rounded(.up)))
        retentionNanoseconds = UInt64(retentionSeconds * 1e9)
    }

    /// The number of series currently stored.
    public var seriesCount: Int { series.count }

    /// Appends every sample of `snapshot`, then drops series older than the retention.
    public func record(_ snapshot: Snapshot) {
        let now = snapshot.monotonicNanoseconds
        for sample in snapshot.samples {
            let point = HistoryPoint(monotonicNanoseconds: now, value: sample.value)
            series[sample.seriesKey, default: RingBuffer(minimumCapacity: capacity)].append(point)
        }
        dropExpired(before: now)
    }

    /// The stored points of one series, oldest first.
    public func points(forSeries key: String) -> [HistoryPoint] {
        guard let ring = series[key] else { return [] }
        return (0..<ring.count).map { ring[$0] }
    }

    /// Aggregates the points of `key` taken within `windowSeconds` before `now`, the newest included.
    public func aggregate(forSeries key: String, windowSeconds: Double, now: UInt64) -> WindowAggregate? {
        guard let ring = series[key], ring.count > 0 else { return nil }

        let span = UInt64(windowSeconds * 1e9)
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var sum = 0.0
        var count = 0
        var index = ring.count - 1
        while index >= 0 {
            let point = ring[index]
            if now > point.monotonicNanoseconds, now - point.monotonicNanoseconds >= span {
                break
            }
            if !point.value.isNaN {
                minimum = min(minimum, point.value)
                maximum = max(maximum, point.value)
                sum += point.value
                count += 1
            }
            index -= 1
        }
        guard count > 0 else { return nil }
        return WindowAggregate(minimum: minimum, maximum: maximum, average: sum / Double(count), count: count)
    }

    private func dropExpired(before now: UInt64) {
        guard now > retentionNanoseconds, now - lastSweepNanoseconds >= RawHistory.sweepIntervalNanoseconds else {
            return
        }
        lastSweepNanoseconds = now
        let cutoff = now - retentionNanoseconds
        series = series.filter { _, ring in
            (ring.last?.monotonicNanoseconds ?? 0) >= cutoff
        }
    }
}
