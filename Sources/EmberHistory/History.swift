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
    /// Temperatures keep only each hour's maximum for this long (see ``History/hourMaximum``).
    public var longHourBuckets = 9600

    public init() {}
}

/// How long a family's series stay in the hour tiers.
public enum HourRetention: Sendable {
    /// Full buckets for ``HistoryConfiguration/hourBuckets``.
    case standard
    /// Full buckets for ``HistoryConfiguration/longHourBuckets``.
    case long
    /// Full buckets for ``HistoryConfiguration/hourBuckets``, and each hour's maximum alone for
    /// ``HistoryConfiguration/longHourBuckets`` in ``History/hourMaximum``.
    case longMaximum
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
    /// The hourly maximum of each temperature for ``HistoryConfiguration/longHourBuckets``. Its
    /// newest hours repeat the maxima of ``hour``'s full buckets (720 of 9600 hours by default),
    /// so no bucket moves from one tier to the other.
    public let hourMaximum: HistoryTier
    private var anchor: (wallSeconds: Double, monotonicNanoseconds: UInt64)?
    /// Family name → how long its series stay in the hour tiers.
    private var hourRetentions: [String: HourRetention] = [:]
    /// Family name → its metadata, from the first snapshot of this run that contained the family.
    /// Families loaded only from the state file have label names but an empty help text.
    public private(set) var families: [String: MetricDescriptor] = [:]
    /// The table positions of the last recorded snapshot's samples, for a next snapshot of the same series.
    private(set) var routes = SampleRoutes()
    /// Snapshots recorded at the positions of the one before, without series keys.
    private(set) var routedRecordCount = 0
    /// A number that stays the same from one recorded snapshot to the next only when the later one
    /// lists the same series in the same order (``Swift/Array/listsSameSeries(as:)``).
    public private(set) var seriesListVersion = 0

    /// A wall clock ahead of the anchored time by more than this has been set, not drifted.
    public static let forwardStepSeconds = 60.0

    public init(_ configuration: HistoryConfiguration) {
        self.configuration = configuration
        raw = RawHistory(retentionSeconds: configuration.rawRetentionSeconds,
                         intervalSeconds: configuration.intervalSeconds)
        minute = HistoryTier(name: "minute", widthSeconds: 60, capacity: configuration.minuteBuckets)
        hour = HistoryTier(name: "hour", widthSeconds: 3600, capacity: configuration.hourBuckets,
                           longCapacity: configuration.longHourBuckets)
        hourMaximum = HistoryTier(name: History.hourMaximumTierName, widthSeconds: 3600,
                                  capacity: configuration.longHourBuckets)
    }

    /// Name of the ``hourMaximum`` tier in the state file.
    public static let hourMaximumTierName = "hour-max"

    /// Returns whether a family keeps hourly data for the long retention, in full or as maxima.
    /// Health checks look at trends over months in temperatures, NVMe and eMMC/SD health, storage
    /// errors and energy counters.
    public static func isLongLived(family name: String) -> Bool {
        name.hasSuffix("_celsius") || name == "node_thermal_zone_temp"
            || name.hasPrefix("ember_nvme_") || name.hasPrefix("ember_mmc_")
            || storageHealthFamilies.contains(name)
            || name.hasSuffix("_joules_total") || name.hasSuffix("_joule_total")
    }

    /// Returns whether a family is a temperature in °C: a `_celsius` family or node_exporter's
    /// thermal zone gauge. Beyond the hour retention a health check needs only its hourly maximum.
    /// Temperatures include the NVMe composite temperature, and the constant trip points and limits,
    /// whose maximum is their value. NVMe spare, wear and error gauges are not temperatures.
    public static func isTemperature(family name: String) -> Bool {
        name.hasSuffix("_celsius") || name == "node_thermal_zone_temp"
    }

    /// Returns how long a family's series of `kind` stay in the hour tiers. Only a gauge keeps maxima.
    public static func hourRetention(family name: String, kind: SeriesKind) -> HourRetention {
        if kind == .gauge, isTemperature(family: name) {
            return .longMaximum
        }
        return isLongLived(family: name) ? .long : .standard
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
        let seconds = anchoredSeconds(snapshot.monotonicNanoseconds)
        // Advancing can drop expired series, so it comes before the routes are checked.
        minute.advance(toSeconds: seconds)
        hour.advance(toSeconds: seconds)
        hourMaximum.advance(toSeconds: seconds)

        let generations = SampleRoutes.Generations(
            raw: raw.generation, minute: minute.generation, hour: hour.generation,
            hourMaximum: hourMaximum.generation)
        if routes.fit(snapshot.samples, generations: generations) {
            routes.follow(snapshot.samples)
            raw.record(snapshot, positions: routes.raw, windowed: routes.windowed)
            addRouted(snapshot.samples, atSeconds: seconds)
            routedRecordCount += 1
        } else {
            routes = recordByKey(snapshot, atSeconds: seconds, generations: generations)
            seriesListVersion += 1
        }
    }

    /// Records `snapshot` looking up each series by its key, and returns the positions found.
    private func recordByKey(
        _ snapshot: Snapshot, atSeconds seconds: Double, generations: SampleRoutes.Generations
    ) -> SampleRoutes {
        // Building a key allocates, so each is built once for all tiers.
        var keys = snapshot.samples.map(\.seriesKey)
        if raw.seriesCount == 0 {
            keys = prepareFirstRecord(keys)
        }
        let rawPositions = raw.record(snapshot, keys: keys)

        let buckets = (minute.bucket(atSeconds: seconds), hour.bucket(atSeconds: seconds),
                       hourMaximum.bucket(atSeconds: seconds))
        var tiers: [SampleRoutes.Route] = []
        tiers.reserveCapacity(keys.count)
        for (sample, key) in zip(snapshot.samples, keys) {
            let kind: SeriesKind = sample.descriptor.type == .counter ? .counter : .gauge
            let retention = hourRetention(sample.descriptor, kind: kind)
            var route = SampleRoutes.Route(minute: -1, hour: -1, hourMaximum: -1, kind: kind, retention: retention)
            addByKey(key, value: sample.value, buckets: buckets, route: &route)
            tiers.append(route)
        }
        return SampleRoutes(samples: snapshot.samples, raw: rawPositions, tiers: tiers, generations: generations)
    }

    /// Adds `samples` to the aggregate tiers at the positions in ``routes``, which fit them.
    private func addRouted(_ samples: [Sample], atSeconds seconds: Double) {
        let buckets = (minute: minute.bucket(atSeconds: seconds), hour: hour.bucket(atSeconds: seconds),
                       hourMaximum: hourMaximum.bucket(atSeconds: seconds))
        minute.add(samples, atPositions: routes.minute, bucket: buckets.minute)
        hour.add(samples, atPositions: routes.hour, bucket: buckets.hour)
        if routes.keepsHourMaxima {
            hourMaximum.add(samples, atPositions: routes.hourMaximum, bucket: buckets.hourMaximum)
        }

        // A series whose earlier values were all NaN or infinite is not in every tier yet.
        for index in routes.incomplete where samples[index].value.isFinite {
            var route = routes.route(at: index)
            addByKey(samples[index].seriesKey, value: samples[index].value, buckets: buckets, route: &route)
            routes.update(route, at: index)
        }
    }

    /// Adds one value of series `key` by key to each aggregate tier that takes the series and has no
    /// position for it in `route`, and stores the positions they return in `route`.
    private func addByKey(
        _ key: String, value: Double, buckets: (minute: Int64, hour: Int64, hourMaximum: Int64),
        route: inout SampleRoutes.Route
    ) {
        let kind = route.kind
        if route.minute < 0 {
            let position = minute.add(key, kind: kind, value: value, bucket: buckets.minute, long: false)
            route.minute = Int32(position ?? -1)
        }
        if route.hour < 0 {
            let position = hour.add(key, kind: kind, value: value, bucket: buckets.hour, long: route.retention == .long)
            route.hour = Int32(position ?? -1)
        }
        if route.retention == .longMaximum, route.hourMaximum < 0 {
            let position = hourMaximum.add(key, kind: .maximum, value: value, bucket: buckets.hourMaximum, long: false)
            route.hourMaximum = Int32(position ?? -1)
        }
    }

    /// Sizes the tiers' tables for the first snapshot's series, which are nearly all the series there
    /// will be. Returns its keys with the storage of the restored keys, so that the tiers share one copy.
    private func prepareFirstRecord(_ keys: [String]) -> [String] {
        raw.reserveSeries(keys.count)
        for tier in [minute, hour] where tier.seriesCount == 0 {
            tier.reserveSeries(keys.count)
        }
        if hourMaximum.seriesCount == 0 {
            // No counter family is named `_celsius`, so this counts the temperature gauges.
            hourMaximum.reserveSeries(keys.count { History.isTemperature(family: History.family(ofKey: $0)) })
        }
        guard minute.seriesCount > 0 || hour.seriesCount > 0 || hourMaximum.seriesCount > 0 else { return keys }
        return keys.map(storedKey)
    }

    /// Returns a tier's copy of `key`, so that all tiers share its storage, or `key` when no tier has one.
    func storedKey(_ key: String) -> String {
        minute.storedKey(key) ?? hour.storedKey(key) ?? hourMaximum.storedKey(key) ?? key
    }

    /// Returns the family name of a series key (see ``Sample/seriesKey``).
    static func family(ofKey key: String) -> String {
        String(key.prefix { $0 != "\u{1}" })
    }

    private func hourRetention(_ descriptor: MetricDescriptor, kind: SeriesKind) -> HourRetention {
        if let known = hourRetentions[descriptor.name] {
            return known
        }
        families[descriptor.name] = descriptor
        let retention = History.hourRetention(family: descriptor.name, kind: kind)
        hourRetentions[descriptor.name] = retention
        return retention
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

    /// Bytes of compressed data in all tiers.
    public var byteCount: Int { raw.byteCount + minute.byteCount + hour.byteCount + hourMaximum.byteCount }

    /// Number of values stored in all tiers: one per raw point and one per aggregate of a bucket.
    public var storedValueCount: Int {
        var count = raw.storedValueCount
        for tier in [minute, hour, hourMaximum] {
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
        /// Hours an hour query returns: full buckets, and for a temperature the older maxima.
        public let hourBuckets: Int
        /// Of ``hourBuckets``, the hours of which only the maximum is kept.
        public let hourMaximumOnlyBuckets: Int
    }

    /// Returns every series that any tier contains, sorted by key.
    public func seriesSummaries() -> [SeriesSummary] {
        let keys = Set(raw.seriesKeys).union(minute.seriesKeys).union(hour.seriesKeys).union(hourMaximum.seriesKeys)
        return keys.sorted().map { key in
            let maximumOnly = maximumOnlyHourCount(of: key)
            return SeriesSummary(
                key: key, rawPoints: raw.pointCount(forSeries: key), minuteBuckets: minute.bucketCount(of: key),
                hourBuckets: hour.bucketCount(of: key) + maximumOnly, hourMaximumOnlyBuckets: maximumOnly)
        }
    }

    /// Returns the range of hours for which ``hourMaximum`` alone has data on `key`: every hour
    /// before the oldest full bucket in ``hour``, or every hour when ``hour`` has none. Returns nil
    /// when there are no such hours, such as for a series that is not a temperature.
    public func maximumOnlyHours(of key: String) throws(HistoryDecodingError) -> ClosedRange<Int64>? {
        guard hourMaximum.kind(of: key) != nil else { return nil }
        guard let oldestFull = try hour.oldestBucket(of: key) else { return Int64.min...Int64.max }
        return oldestFull > Int64.min ? Int64.min...(oldestFull - 1) : nil
    }

    /// Returns the number of hours in ``maximumOnlyHours(of:)``, or 0 when they cannot be decoded.
    /// It counts the newer maxima and subtracts them, because reading a ring's newest hours decodes
    /// only its newest chunks.
    private func maximumOnlyHourCount(of key: String) -> Int {
        do {
            guard let hours = try maximumOnlyHours(of: key) else { return 0 }
            var newer = 0
            if hours.upperBound < Int64.max {
                let newerHours = (hours.upperBound + 1)...Int64.max
                try hourMaximum.forEachBucket(of: key, in: newerHours, includeOpen: true) { _, _ in newer += 1 }
            }
            return hourMaximum.bucketCount(of: key) - newer
        } catch {
            return 0
        }
    }

    /// Returns the family name and label values of a series key (see ``Sample/seriesKey``).
    public static func split(seriesKey key: String) -> (name: String, labelValues: [String]) {
        let parts = key.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
        return (parts[0], Array(parts.dropFirst()))
    }
}
