import EmberCore
import EmberHistory

/// The JSON API: `/api/v1/snapshot`, `/api/v1/series` and `/api/v1/query`.
///
/// Every response is `application/json`. A bad request gets 400 with `{"error": "…"}` naming the
/// parameter and the reason, and an unknown series gets 404.
public struct HistoryAPI: Sendable {
    let history: SharedHistory
    let clock: any Clock

    public init(history: SharedHistory, clock: any Clock = SystemClock()) {
        self.history = history
        self.clock = clock
    }

    /// Registers the three endpoints on `router`.
    public func register(on router: inout HTTPRouter) {
        router.route("/api/v1/snapshot") { snapshot($0) }
        router.route("/api/v1/series") { series($0) }
        router.route("/api/v1/query") { query($0) }
    }

    /// Returns the latest values grouped by subsystem, with units.
    public func snapshot(_ request: HTTPRequest) -> HTTPResponse {
        if let error = HistoryAPI.rejectParameters(request, allowed: []) {
            return error
        }
        guard let latest = history.latest else {
            return HistoryAPI.error(503, "no sample taken yet; retry after one sample interval")
        }
        return HistoryAPI.json(SnapshotJSON.encode(latest))
    }

    /// Returns every series with history and the number of points in each tier.
    public func series(_ request: HTTPRequest) -> HTTPResponse {
        if let error = HistoryAPI.rejectParameters(request, allowed: []) {
            return error
        }
        let (summaries, families) = history.withHistory { ($0.seriesSummaries(), $0.families) }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("series")
        writer.beginArray()
        for summary in summaries {
            let (name, values) = History.split(seriesKey: summary.key)
            let descriptor = families[name]
            writer.beginObject()
            writer.field("id", SeriesSelector.format(
                name: name, labelNames: descriptor?.labelNames ?? [], labelValues: values))
            writer.field("name", name)
            writer.key("labels")
            HistoryAPI.writeLabels(names: descriptor?.labelNames ?? [], values: values, into: &writer)
            writer.field("type", descriptor?.type.rawValue ?? "untyped")
            writer.field("unit", MetricUnits.unit(of: name))
            writer.key("points")
            writer.beginObject()
            writer.key("raw")
            writer.integer(summary.rawPoints)
            writer.key("minute")
            writer.integer(summary.minuteBuckets)
            writer.key("hour")
            writer.integer(summary.hourBuckets)
            if summary.hourMaximumOnlyBuckets > 0 {
                writer.key("hour_max_only")
                writer.integer(summary.hourMaximumOnlyBuckets)
            }
            writer.endObject()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return HistoryAPI.json(writer.bytes)
    }

    /// Returns the points of one series in one tier between two times.
    public func query(_ request: HTTPRequest) -> HTTPResponse {
        let parameters = QueryParameters(request.query)
        if let error = HistoryAPI.rejectParameters(request, allowed: ["series", "tier", "from", "to"]) {
            return error
        }
        switch QueryRequest.parse(parameters, now: clock.wallSeconds(), configuration: history.configuration) {
        case .failure(let invalid):
            return HistoryAPI.error(400, invalid.message)
        case .success(let parsed):
            return history.withHistory { parsed.respond(history: $0) }
        }
    }

    static func writeLabels(names: [String], values: [String], into writer: inout JSONWriter) {
        writer.beginObject()
        for (name, value) in zip(names, values) {
            writer.field(name, value)
        }
        writer.endObject()
    }

    /// Returns a 400 response for a malformed query, a repeated parameter or one not in `allowed`.
    static func rejectParameters(_ request: HTTPRequest, allowed: Set<String>) -> HTTPResponse? {
        let parameters = QueryParameters(request.query)
        if let part = parameters.invalid.first {
            return error(400, "invalid query part \"\(part)\": malformed percent-encoding or not UTF-8")
        }
        if let name = parameters.repeated.first {
            return error(400, "parameter \(name) is given more than once; give it once")
        }
        if let name = parameters.values.keys.sorted().first(where: { !allowed.contains($0) }) {
            let expected = allowed.isEmpty ? "this endpoint takes no parameters" : "expected "
                + allowed.sorted().joined(separator: ", ")
            let parameter = name.isEmpty ? "a parameter with an empty name" : "unknown parameter \(name)"
            return error(400, "\(parameter); \(expected)")
        }
        return nil
    }

    static func json(_ bytes: [UInt8], status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json")], body: bytes + [0x0A])
    }

    static func error(_ status: Int, _ message: String) -> HTTPResponse {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("error", message)
        writer.endObject()
        return json(writer.bytes, status: status)
    }
}
