import EmberCore
import EmberHistory

/// A validated `/api/v1/query` request and its response.
struct QueryRequest {
    enum Tier: String {
        case raw, minute, hour
    }

    struct InvalidParameter: Error {
        let message: String
    }

    let name: String
    let labels: [(String, String)]
    let id: String
    let tier: Tier
    /// Seconds since the Unix epoch, inclusive.
    let from: Double
    let to: Double

    /// Validates the parameters. `to` defaults to now and `from` to the tier's retention before `to`.
    static func parse(
        _ parameters: QueryParameters, now: Double, configuration: HistoryConfiguration
    ) -> Result<QueryRequest, InvalidParameter> {
        guard let id = parameters["series"], !id.isEmpty else {
            return .failure(InvalidParameter(message: "missing parameter series: give a series ID from /api/v1/series, "
                + "such as node_thermal_zone_temp{type=\"soc-thermal\",zone=\"0\"}"))
        }
        guard let selector = SeriesSelector.parse(id) else {
            return .failure(InvalidParameter(message: "invalid parameter series \"\(id)\": expected name{label=\"value\",…}"))
        }
        let tierName = parameters["tier"] ?? "raw"
        guard let tier = Tier(rawValue: tierName) else {
            return .failure(InvalidParameter(message: "invalid parameter tier \"\(tierName)\": expected raw, minute or hour"))
        }

        let retention: Double = switch tier {
        case .raw: configuration.rawRetentionSeconds
        case .minute: Double(configuration.minuteBuckets) * 60
        case .hour: Double(configuration.longHourBuckets) * 3600
        }
        let to: Double
        let from: Double
        switch (time(parameters, "to", default: now), time(parameters, "from", default: nil)) {
        case (.failure(let error), _), (_, .failure(let error)):
            return .failure(error)
        case (.success(let end), .success(let start)):
            to = end!
            from = start ?? to - retention
        }
        guard from <= to else {
            return .failure(InvalidParameter(message: "invalid parameters from and to: from is after to"))
        }
        return .success(QueryRequest(name: selector.name, labels: selector.labels, id: id, tier: tier, from: from, to: to))
    }

    /// 9999-12-31T23:59:59Z, the last time RFC 3339 can write.
    static let latestTime = 253_402_300_799.0

    private static func time(
        _ parameters: QueryParameters, _ name: String, default fallback: Double?
    ) -> Result<Double?, InvalidParameter> {
        guard let text = parameters[name] else { return .success(fallback) }
        guard let seconds = APITime.parse(text) else {
            // An unencoded `+01:00` offset arrives as " 01:00", because `+` in a query is a space.
            let hint = APITime.parse(text.replacingSpaces(with: "+")) == nil
                ? "" : "; a + in a URL query means a space, so write the offset's + as %2B"
            return .failure(InvalidParameter(message: "invalid parameter \(name) \"\(text)\": expected Unix seconds "
                + "or an RFC 3339 time such as 2026-12-04T21:00:00Z" + hint))
        }
        // Bucket numbers are Int64, so converting a huge time would trap. RFC 3339's last
        // year is a safe bound.
        guard seconds >= 0, seconds <= latestTime else {
            return .failure(InvalidParameter(message: "invalid parameter \(name) \"\(text)\": expected a time "
                + "between 1970-01-01 and 9999-12-31"))
        }
        return .success(seconds)
    }

    /// Looks the series up and writes its points, or responds 404 when it has no history.
    func respond(history: History) -> HTTPResponse {
        guard let descriptor = history.families[name] else {
            return HistoryAPI.error(404, "series not found: no family \(name) in the history")
        }
        let requested = Dictionary(labels, uniquingKeysWith: { first, _ in first })
        guard requested.count == labels.count, Set(requested.keys) == Set(descriptor.labelNames) else {
            let expected = descriptor.labelNames.joined(separator: ", ")
            return HistoryAPI.error(400, "invalid parameter series \"\(id)\": \(name) has the labels [\(expected)]; "
                + "give each once")
        }
        let key = Sample.seriesKey(name: name, labelValues: descriptor.labelNames.map { requested[$0]! })

        var writer = JSONWriter()
        writer.beginObject()
        writer.field("series", id)
        writer.field("tier", tier.rawValue)
        writer.field("type", descriptor.type.rawValue)
        writer.field("unit", MetricUnits.unit(of: name))
        writer.field("from", from)
        writer.field("to", to)
        do {
            let found = try writePoints(key: key, history: history, into: &writer)
            guard found else {
                return HistoryAPI.error(404, "series not found: \(id) has no \(tier.rawValue) history")
            }
        } catch {
            return HistoryAPI.error(500, "stored history of \(id) could not be decoded: \(error)")
        }
        writer.endObject()
        return HistoryAPI.json(writer.bytes)
    }

    /// Writes `step_seconds`, `fields` and `points`, or returns false when the tier has no points for `key`.
    private func writePoints(key: String, history: History, into writer: inout JSONWriter) throws -> Bool {
        if tier == .raw {
            guard history.raw.pointCount(forSeries: key) > 0 else { return false }
            writer.field("step_seconds", history.configuration.intervalSeconds)
            writer.key("points")
            writer.beginArray()
            for point in history.raw.points(forSeries: key) {
                let seconds = history.anchoredSeconds(point.monotonicNanoseconds)
                guard seconds >= from, seconds <= to else { continue }
                writer.beginObject()
                writer.field("t", seconds)
                writer.field("value", point.value)
                writer.endObject()
            }
            writer.endArray()
            return true
        }

        let store = tier == .minute ? history.minute : history.hour
        // A temperature's hours older than its full hour buckets have only their maximum.
        let maximumOnly = tier == .hour ? try history.maximumOnlyHours(of: key) : nil
        let kind = store.kind(of: key)
        guard kind != nil || maximumOnly != nil else { return false }
        let width = Double(store.widthSeconds)
        writer.field("step_seconds", width)
        writer.key("points")
        writer.beginArray()
        let buckets = Int64((from / width).rounded(.down))...Int64((to / width).rounded(.down))
        if let maximumOnly, buckets.overlaps(maximumOnly) {
            try history.hourMaximum.forEachBucket(of: key, in: buckets.clamped(to: maximumOnly), includeOpen: true) {
                QueryRequest.writeBucket(start: Double($0) * width, kind: .maximum, values: $1, into: &writer)
            }
        }
        if let kind {
            try store.forEachBucket(of: key, in: buckets, includeOpen: true) { bucket, values in
                QueryRequest.writeBucket(start: Double(bucket) * width, kind: kind, values: values, into: &writer)
            }
        }
        writer.endArray()
        return true
    }

    /// Writes one bucket with `t`, its start. A gauge has min, max, avg, last and count. A counter
    /// has its increase (with resets handled as Prometheus' `increase()` does), last value and count.
    /// An hour of which only the maximum is kept has max alone.
    private static func writeBucket(start: Double, kind: SeriesKind, values: PointValues, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("t", start)
        switch kind {
        case .gauge:
            writer.field("min", values[0])
            writer.field("max", values[1])
            writer.field("avg", values[2] / values[4])
            writer.field("last", values[3])
            writer.field("count", values[4])
        case .counter:
            writer.field("increase", values[0])
            writer.field("last", values[1])
            writer.field("count", values[2])
        case .maximum:
            writer.field("max", values[0])
        }
        writer.endObject()
    }
}

private extension String {
    func replacingSpaces(with replacement: Character) -> String {
        String(map { $0 == " " ? replacement : $0 })
    }
}
