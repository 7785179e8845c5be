/// Rebuilding the hour tiers' newest buckets from the minute tier after a restart.
///
/// The agent saves the hour tiers' open part once an hour and the minute tier's at every flush, so
/// after a crash the hour tiers lack up to an hour of samples that the minute tier kept. An hour
/// bucket is the fold of its minute buckets: a gauge's minimum, maximum, sum, last value and count,
/// and a counter's increase, last value and count, combine across minutes as across samples. A
/// minute bucket of a counter already counts the increase from the minute before it.
extension History {
    /// Rebuilds from the minute tier each series' hour buckets after its newest closed hour, in
    /// ``hour`` and for temperatures in ``hourMaximum``, where the rebuilt bucket has more samples
    /// than the one restored (or a higher maximum). Returns the number of series changed, 0 after a
    /// clean stop, whose hour files were saved with the rest.
    @discardableResult
    public func catchUpHoursFromMinutes() throws(HistoryDecodingError) -> Int {
        guard hour.widthSeconds % minute.widthSeconds == 0, hourMaximum.widthSeconds == hour.widthSeconds else {
            return 0
        }
        var changed = 0
        for key in minute.seriesKeys {
            guard let kind = minute.kind(of: key), kind != .maximum else { continue }
            let retention = History.hourRetention(family: History.family(ofKey: key), kind: kind)

            var seriesChanged = try catchUp(hour, key, minuteKind: kind, kind: kind, long: retention == .long)
            if retention == .longMaximum {
                seriesChanged = try catchUp(hourMaximum, key, minuteKind: kind, kind: .maximum, long: false) || seriesChanged
            }
            if seriesChanged {
                changed += 1
            }
        }
        return changed
    }

    /// Folds the minute buckets of `key`, of `minuteKind`, after `tier`'s newest closed bucket into
    /// `tier` as buckets of `kind`.
    private func catchUp(
        _ tier: HistoryTier, _ key: String, minuteKind: SeriesKind, kind: SeriesKind, long: Bool
    ) throws(HistoryDecodingError) -> Bool {
        let minutesPerBucket = tier.widthSeconds / minute.widthSeconds
        let firstMinute = tier.newestClosedBucket(of: key).map { ($0 + 1) * minutesPerBucket } ?? .min
        var minutes: [(bucket: Int64, values: PointValues)] = []
        try minute.forEachBucket(of: key, in: firstMinute...Int64.max, includeOpen: true) { bucket, values in
            minutes.append((bucket, values))
        }
        guard !minutes.isEmpty else { return false }

        let rebuilt = History.fold(minutes, minuteKind: minuteKind, into: kind, minutesPerBucket: minutesPerBucket)
        return tier.catchUp(key, kind: kind, rebuilt: rebuilt, long: long)
    }

    /// Folds `minutes`, oldest first, into buckets of `minutesPerBucket` minutes of `kind`. A
    /// `.maximum` bucket keeps the largest of its minutes' maxima.
    static func fold(
        _ minutes: [(bucket: Int64, values: PointValues)], minuteKind: SeriesKind, into kind: SeriesKind,
        minutesPerBucket: Int64
    ) -> [(bucket: Int64, values: PointValues)] {
        var buckets: [(bucket: Int64, values: PointValues)] = []
        for (minuteBucket, values) in minutes {
            let bucket = floorDivide(minuteBucket, minutesPerBucket)
            let folded = FoldedMinute(values, kind: minuteKind)
            if let last = buckets.last, last.bucket == bucket {
                buckets[buckets.count - 1].values = folded.added(to: last.values, kind: kind)
            } else {
                buckets.append((bucket, folded.first(kind: kind)))
            }
        }
        return buckets
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : (value - divisor + 1) / divisor
    }
}

/// One minute bucket's aggregates, named.
private struct FoldedMinute {
    let minimum: Double
    let maximum: Double
    /// The sum of a gauge's values, the increase of a counter.
    let sum: Double
    let last: Double
    let count: Double

    init(_ values: PointValues, kind: SeriesKind) {
        switch kind {
        case .gauge:
            (minimum, maximum, sum, last, count) = (values[0], values[1], values[2], values[3], values[4])
        case .counter:
            (minimum, maximum, sum, last, count) = (values[1], values[1], values[0], values[1], values[2])
        case .maximum:
            (minimum, maximum, sum, last, count) = (values[0], values[0], values[0], values[0], 1)
        }
    }

    /// Returns the stored fields of a bucket of `kind` that contains this minute alone.
    func first(kind: SeriesKind) -> PointValues {
        switch kind {
        case .gauge: PointValues([minimum, maximum, sum, last, count])
        case .counter: PointValues([sum, last, count])
        case .maximum: PointValues([maximum])
        }
    }

    /// Returns the stored fields of `bucket`, of `kind`, with this later minute added.
    func added(to bucket: PointValues, kind: SeriesKind) -> PointValues {
        switch kind {
        case .gauge:
            PointValues([min(bucket[0], minimum), max(bucket[1], maximum), bucket[2] + sum, last, bucket[4] + count])
        case .counter:
            PointValues([bucket[0] + sum, last, bucket[2] + count])
        case .maximum:
            PointValues([max(bucket[0], maximum)])
        }
    }
}
