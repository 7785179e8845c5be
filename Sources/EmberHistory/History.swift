import EmberCore

/// Retention of each tier, in points.
public struct HistoryConfiguration: Sendable {
    public var rawRetentionSeconds = 900.0
    public var intervalSeconds = 1.0
    /// Minutes kept in the minute tier; 24 hours by default.
    public var minuteBuckets = 1440
    /// Hours kept in the hour tier for most series; 30 days by default.
    public var hourBuckets = 720
    /// Hours kept for the series ``History/isLongLived(_:)`` selects; 400 days by default.
    public var longHourBuckets = 9600

    public init() {}
}

/// All history tiers: raw samples, per-minute and per-hour aggregates.
///
/// Tier buckets are numbered by wall-clock time, so they line up with calendar minutes and hours and
/// survive a restart, but the time of a sample is the wall time of the first recorded snapshot plus
/// the monotonic time elapsed since (the anchor). A wall-clock step during a run therefore moves
/// nothing. Not thread-safe: the agent wraps it in ``SharedHistory``.
public final class History {
    public let configuration: HistoryConfiguration
    public let raw: RawHistory
    public let minute: HistoryTier
    public let hour: HistoryTier
    private var anchor: (wallSeconds: Double, monotonicNanoseconds: UInt64)?
    /// Family name → whether its series keep the long hour retention.
    private var longLivedFamilies: [String: Bool] = [:]

    public init(_ configuration: HistoryConfiguration) {
        self.configuration = configuration
        raw = RawHistory(retentionSeconds: configuration.rawRetentionSeconds,
                         intervalSeconds: configuration.intervalSeconds)
        minute = HistoryTier(name: "minute", widthSeconds: 60, capacity: configuration.minuteBuckets)
        hour = HistoryTier(name: "hour", widthSeconds: 3600, capacity: configuration.hourBuckets,
                           longCapacity: configuration.longHourBuckets)
    }

    /// Returns whether a family's hour tier keeps the long retention, because health checks look at
    /// trends over months: temperatures (their maxima), NVMe and eMMC/SD health, and energy counters.
    public static func isLongLived(_ descriptor: MetricDescriptor) -> Bool {
        let name = descriptor.name
        return descriptor.windowUnit == "celsius" || name.hasSuffix("_celsius") || name.hasPrefix("node_thermal_zone_temp")
            || name.hasPrefix("ember_nvme_") || name.hasPrefix("ember_mmc_")
            || name.hasSuffix("_joules_total") || name.hasSuffix("_joule_total")
    }

    /// Returns the anchored wall time of a monotonic instant, in seconds since the Unix epoch.
    public func anchoredSeconds(_ monotonicNanoseconds: UInt64) -> Double {
        guard let anchor else { return 0 }
        let elapsed = Double(Int64(bitPattern: monotonicNanoseconds &- anchor.monotonicNanoseconds)) / 1e9
        return anchor.wallSeconds + elapsed
    }

    /// Records `snapshot` in every tier.
    public func record(_ snapshot: Snapshot) {
        if anchor == nil {
            anchor = (snapshot.wallTime, snapshot.monotonicNanoseconds)
        }
        raw.record(snapshot)

        let seconds = anchoredSeconds(snapshot.monotonicNanoseconds)
        minute.advance(toSeconds: seconds)
        hour.advance(toSeconds: seconds)
        for sample in snapshot.samples {
            let key = sample.seriesKey
            let kind: SeriesKind = sample.descriptor.type == .counter ? .counter : .gauge
            let long = isLongLived(sample.descriptor)
            minute.add(key, kind: kind, value: sample.value, atSeconds: seconds, long: false)
            hour.add(key, kind: kind, value: sample.value, atSeconds: seconds, long: long)
        }
    }

    private func isLongLived(_ descriptor: MetricDescriptor) -> Bool {
        if let known = longLivedFamilies[descriptor.name] {
            return known
        }
        let long = History.isLongLived(descriptor)
        longLivedFamilies[descriptor.name] = long
        return long
    }

    /// Bytes of compressed data held by all tiers.
    public var byteCount: Int { raw.byteCount + minute.byteCount + hour.byteCount }

    /// Values stored by all tiers: one per raw point, one per aggregate of a bucket.
    public var storedValueCount: Int {
        var count = raw.storedValueCount
        for tier in [minute, hour] {
            for (_, entry) in tier.series {
                count += entry.ring.count * entry.kind.fieldCount
            }
        }
        return count
    }
}
