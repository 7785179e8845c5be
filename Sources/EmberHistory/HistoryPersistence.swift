/// The tiers' part of the state files: what each tier saves and how saved tiers are loaded back.
extension History {
    /// The buckets of every tier but the raw one, for the state file.
    public var persistedTiers: [PersistedState.Tier] {
        [persisted(minute), persisted(hour), persisted(hourMaximum)]
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

    /// Loads saved tiers into this empty history, skipping any tier or series that does not fit.
    /// Returns one message per skipped tier or series for the caller to log.
    public func restore(_ tiers: [PersistedState.Tier]) -> [String] {
        var problems: [String] = []
        for saved in tiers {
            guard let tier = [minute, hour, hourMaximum].first(where: { $0.name == saved.name }),
                  tier.widthSeconds == saved.widthSeconds
            else {
                problems.append("unknown tier \(saved.name) with \(saved.widthSeconds) s buckets, skipped")
                continue
            }
            if tier.seriesCount == 0 {
                tier.reserveSeries(saved.series.count)
            }
            for loaded in saved.series {
                if let problem = restore(loaded, into: tier) {
                    problems.append(problem)
                }
            }
        }
        return problems
    }

    /// Loads one saved series into `tier`, or returns why it was skipped.
    private func restore(_ loaded: PersistedState.Series, into tier: HistoryTier) -> String? {
        let family = History.family(ofKey: loaded.key)
        // Only the maxima tier stores maxima, and it stores nothing else.
        guard (loaded.kind == .maximum) == (tier === hourMaximum) else {
            return "invalid \(tier.name) tier of \(family), skipped: series of kind \(loaded.kind) in this tier"
        }
        // Another tier's copy of the key, when it has one, so that all share its storage.
        let series = PersistedState.Series(
            key: storedKey(loaded.key), kind: loaded.kind, chunks: loaded.chunks, open: loaded.open)
        let long = tier === hour && History.hourRetention(family: family, kind: loaded.kind) == .long
        do {
            try tier.restore(series, long: long)
        } catch {
            return "invalid \(tier.name) tier of \(family), skipped: \(error)"
        }
        return nil
    }
}
