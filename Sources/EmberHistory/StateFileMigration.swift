/// The migration from state file versions 1 and 2 to version 3. Versions 1 and 2 kept every
/// aggregate of a temperature in the hour tier for the long retention. Version 3 keeps only the
/// hourly maxima beyond the hour retention, in a tier of their own.
extension StateFileFormat {
    /// Returns the `hour-max` tier that a version 1 or 2 hour tier implies: the maximum field of each
    /// bucket of each temperature gauge, closed buckets and open bucket. Returns nil for any other
    /// tier, or when the tier has no temperature.
    ///
    /// The hour tier itself is loaded as it was saved, and loading it into a ring of the hour
    /// retention keeps only its newest buckets (see ``CompressedRing/init(capacity:fieldCount:layout:chunks:)``).
    static func hourMaximaTier(from tier: PersistedState.Tier) -> PersistedState.Tier? {
        guard tier.name == "hour", tier.widthSeconds == 3600 else { return nil }
        var maxima: [PersistedState.Series] = []
        for series in tier.series where series.kind == .gauge {
            guard History.isTemperature(family: History.family(ofKey: series.key)) else { continue }
            // An open bucket of the wrong width is left to the hour tier's restore, which rejects it.
            let open = series.open.flatMap { open in
                open.values.count == SeriesKind.gauge.fieldCount
                    ? (bucket: open.bucket, values: PointValues([open.values[1]])) : nil
            }
            // A chunk that fails to decode loses this series' maxima only. The hour tier keeps the
            // chunk, and a query of it reports the error.
            guard let chunks = try? maximumChunks(series.chunks) else { continue }
            guard !chunks.isEmpty || open != nil else { continue }
            maxima.append(PersistedState.Series(key: series.key, kind: .maximum, chunks: chunks, open: open))
        }
        guard !maxima.isEmpty else { return nil }
        return PersistedState.Tier(name: History.hourMaximumTierName, widthSeconds: 3600, series: maxima)
    }

    /// Returns gauge chunks encoded again with the maximum field alone, with the same bucket times.
    private static func maximumChunks(_ chunks: [SealedChunk]) throws(HistoryDecodingError) -> [SealedChunk] {
        let total = chunks.reduce(0) { $0 + $1.count }
        guard total > 0 else { return [] }
        // A capacity of four full chunks or more gives chunks of the size a 400-day hour ring uses.
        let capacity = max(total, 4 * CompressedRing.maximumChunkPoints)
        var ring = CompressedRing(capacity: capacity, fieldCount: 1, layout: SeriesKind.maximum.layout)
        for chunk in chunks {
            try ChunkDecoder.forEach(chunk, fieldCount: SeriesKind.gauge.fieldCount, layout: .gauge) { time, values in
                // The ring skips a point that is not after the one before it, which only a corrupt file has.
                ring.append(time: time, values: PointValues([values[1]]))
                return true
            }
        }
        return ring.chunks
    }
}
