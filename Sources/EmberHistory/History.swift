import EmberCore

/// Retention of each history tier: seconds for the raw tier, buckets for the minute and hour tiers.
public struct HistoryConfiguration: Sendable {
    public var rawRetentionSeconds = 900.0
    /// Expected time between snapshots, used to size the raw tier.
    public var intervalSeconds = 1.0
    /// Minutes kept in the minute tier, 24 hours by default.
    public var minuteBuckets = 1440
    /// Hours kept in the hour tier for series that are not long-lived, 30 days by default.
    public var hourBuckets = 720
    /// Hours kept for the series that ``History/isLongLived(family:)`` selects, 400 days by default.
    public var longHourBuckets = 9600

    public init() {}
}

/// All history tiers: raw samples, per-minute and per-hour aggregates.
///
/// Tier buckets are numbered by wall-clock time, so they line up with calendar minutes and hours and
/// survive a restart. The time of a sample, though, is the wall time of the first recorded snapshot
/// (the anchor) plus the monotonic time elapsed since, so a wall-clock step back during a run moves
/// nothing. A step forward of more than ``forwardStepSeconds`` moves the anchor forward, because a
/// board without a real-time clock starts with a wrong time until NTP sets it. Times then jump ahead
/// but never go back, so nothing is reordered.
///
/// Not thread-safe, so the agent wraps it in ``SharedHistory``.
public final class History {
    public let configuration: HistoryConfiguration
    public let raw: RawHistory
    public let minute: HistoryTier
    public let hour: HistoryTier
    private var anchor: (wallSeconds: Double, monotonicNanoseconds: UInt64)?
    /// Family name → whether its series keep the long hour retention.
    private var longLivedFamilies: [String: Bool] = [:]
    /// Family name → its metadata, from the first snapshot of this run that contained the family.
    /// Families loaded only from the state file have label names but an empty help text.
    public private(set) var families: [String: MetricDescriptor] = [:]

    /// A wall clock ahead of the anchored time by more than this has been set, not drifted.
    public static let forwardStepSeconds = 60.0

    public init(_ configuration: HistoryConfiguration) {
        self.configuration = configuration
        raw = RawHistory(retentionSeconds: configuration.rawRetentionSeconds,
                         intervalSeconds: configuration.intervalSeconds)
        minute = HistoryTier(name: "minute", widthSeconds: 60, capacity: configuration.minuteBuckets)
        hour = HistoryTier(name: "hour", widthSeconds: 3600, capacity: configuration.hourBuckets,
                           longCapacity: configuration.longHourBuckets)
    }

    /// Returns whether a family's hour tier keeps the long retention. Health checks look at trends
    /// over months in temperatures, NVMe and eMMC/SD health, storage errors and energy counters.
    public static func isLongLived(family name: String) -> Bool {
        name.hasSuffix("_celsius") || name == "node_thermal_zone_temp"
            || name.hasPrefix("ember_nvme_") || name.hasPrefix("ember_mmc_")
            || storageHealthFamilies.contains(name)
            || name.hasSuffix("_joules_total") || name.hasSuffix("_joule_total")
    }

    /// Block-device and file-system error families: a slow rise over weeks is the early sign of a
    /// failing SD card or drive.
    static let storageHealthFamilies: Set<String> = [
        "ember_block_io_errors_total", "ember_block_io_timeouts_total", "ember_ext4_errors_total",
        "ember_filesystem_forced_readonly",
    ]

    /// Returns the anchored wall time of a monotonic instant, in seconds since the Unix epoch.
    public func anchoredSeconds(_ monotonicNanoseconds: UInt64) -> Double {
        guard let anchor else { return 0 }
        let elapsed = Double(Int64(bitPattern: monotonicNanoseconds &- anchor.monotonicNanoseconds)) / 1e9
        return anchor.wallSeconds + elapsed
    }

    /// Records `snapshot` in every tier.
    public func record(_ snapshot: Snapshot) {
        if anchor == nil || snapshot.wallTime - anchoredSeconds(snapshot.monotonicNanoseconds) > History.forwardStepSeconds {
            anchor = (snapshot.wallTime, snapshot.monotonicNanoseconds)
        }
        // Building a key allocates, so each is built once for all tiers.
        var keys = snapshot.samples.map(\.seriesKey)
        if raw.seriesCount == 0 {
            keys = prepareFirstRecord(keys)
        }
        raw.record(snapshot, keys: keys)

        let seconds = anchoredSeconds(snapshot.monotonicNanoseconds)
        minute.advance(toSeconds: seconds)
        hour.advance(toSeconds: seconds)
        for (sample, key) in zip(snapshot.samples, keys) {
            let kind: SeriesKind = sample.descriptor.type == .counter ? .counter : .gauge
            let long = isLongLived(sample.descriptor)
            minute.add(key, kind: kind, value: sample.value, atSeconds: seconds, long: false)
            hour.add(key, kind: kind, value: sample.value, atSeconds: seconds, long: long)
        }
    }

    /// Sizes the tiers' tables for the first snapshot's series, which are nearly all the series there
    /// will be. Returns its keys with the storage of the restored keys, so that the tiers share one copy.
    private func prepareFirstRecord(_ keys: [String]) -> [String] {
        raw.reserveSeries(keys.count)
        for tier in [minute, hour] where tier.seriesCount == 0 {
            tier.reserveSeries(keys.count)
        }
        guard minute.seriesCount > 0 || hour.seriesCount > 0 else { return keys }
        return keys.map { minute.storedKey($0) ?? hour.storedKey($0) ?? $0 }
    }

    private func isLongLived(_ descriptor: MetricDescriptor) -> Bool {
        if let known = longLivedFamilies[descriptor.name] {
            return known
        }
        families[descriptor.name] = descriptor
        let long = History.isLongLived(family: descriptor.name)
        longLivedFamilies[descriptor.name] = long
        return long
    }

    /// The minute and hour tiers' buckets, for the state file.
    public var persistedTiers: [PersistedState.Tier] {
        [persisted(minute), persisted(hour)]
    }

    /// Returns one tier's buckets for the state file.
    public func persisted(_ tier: HistoryTier) -> PersistedState.Tier {
        PersistedState.Tier(name: tier.name, widthSeconds: tier.widthSeconds, series: tier.persistedSeries)
    }

    /// Returns one tier's sealed chunks (when `sealed` is true) or its open chunks and buckets, for
    /// the state files.
    public func persisted(_ tier: HistoryTier, sealed: Bool) -> PersistedState.Tier {
        PersistedState.Tier(
            name: tier.name, widthSeconds: tier.widthSeconds, series: sealed ? tier.persistedSealed : tier.persistedOpen)
    }

    /// Label names and types of every family, for the state file, so restored series can be shown
    /// with their labels before the family is sampled again.
    public var persistedFamilies: [PersistedState.Family] {
        families.values.map { PersistedState.Family(name: $0.name, type: $0.type, labelNames: $0.labelNames) }
    }

    /// Adds families loaded from the state file. Families sampled in this run keep their own metadata.
    public func restore(_ saved: [PersistedState.Family]) {
        for family in saved where families[family.name] == nil {
            families[family.name] = MetricDescriptor(family.name, "", type: family.type, labels: family.labelNames)
        }
    }

    /// Loads saved tiers into this empty history, skipping any tier or series that does not fit.
    /// Returns one message per skipped tier or series for the caller to log.
    public func restore(_ tiers: [PersistedState.Tier]) -> [String] {
        var problems: [String] = []
        for saved in tiers {
            guard let tier = [minute, hour].first(where: { $0.name == saved.name }),
                  tier.widthSeconds == saved.widthSeconds
            else {
                problems.append("unknown tier \(saved.name) with \(saved.widthSeconds) s buckets, skipped")
                continue
            }
            if tier.seriesCount == 0 {
                tier.reserveSeries(saved.series.count)
            }
            for loaded in saved.series {
                let family = String(loaded.key.prefix { $0 != "\u{1}" })
                // The other tier's copy of the key, when it has one, so that both share its storage.
                let key = minute.storedKey(loaded.key) ?? hour.storedKey(loaded.key) ?? loaded.key
                let series = PersistedState.Series(key: key, kind: loaded.kind, chunks: loaded.chunks, open: loaded.open)
                do {
                    try tier.restore(series, long: History.isLongLived(family: family))
                } catch {
                    problems.append("invalid \(tier.name) tier of \(family), skipped: \(error)")
                }
            }
        }
        return problems
    }

    /// Bytes of compressed data in all tiers.
    public var byteCount: Int { raw.byteCount + minute.byteCount + hour.byteCount }

    /// Number of values stored in all tiers: one per raw point and one per aggregate of a bucket.
    public var storedValueCount: Int {
        var count = raw.storedValueCount
        for tier in [minute, hour] {
            for entry in tier.series.values {
                count += entry.ring.count * entry.kind.fieldCount
            }
        }
        return count
    }

    /// Number of points that each tier contains for one series.
    public struct SeriesSummary: Sendable {
        public let key: String
        public let rawPoints: Int
        public let minuteBuckets: Int
        public let hourBuckets: Int
    }

    /// Returns every series that any tier contains, sorted by key.
    public func seriesSummaries() -> [SeriesSummary] {
        let keys = Set(raw.seriesKeys).union(minute.seriesKeys).union(hour.seriesKeys)
        return keys.sorted().map { key in
            SeriesSummary(key: key, rawPoints: raw.pointCount(forSeries: key),
                          minuteBuckets: minute.bucketCount(of: key), hourBuckets: hour.bucketCount(of: key))
        }
    }

    /// Returns the family name and label values of a series key (see ``Sample/seriesKey``).
    public static func split(seriesKey key: String) -> (name: String, labelValues: [String]) {
        let parts = key.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
        return (parts[0], Array(parts.dropFirst()))
    }
}
