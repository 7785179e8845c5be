import EmberCore
import EmberExposition
import EmberHistory

/// The agent's HTTP endpoints.
enum Routes {
    static func router(cache: ExpositionCache, history: SharedHistory, options: AgentOptions) -> HTTPRouter {
        var router = HTTPRouter()
        router.route("/metrics") { cache.response(for: $0) }
        HistoryAPI(history: history).register(on: &router)
        router.route("/healthz") { _ in health(cache: cache, options: options, clock: SystemClock()) }
        router.route("/") { _ in landingPage(options) }
        return router
    }

    /// Returns the maximum age of the last sample before `/healthz` reports the agent stale. It is
    /// three intervals, so one slow or skipped cycle does not flap the check.
    static func staleAfterSeconds(_ options: AgentOptions) -> Double {
        3 * options.intervalSeconds
    }

    static func health(cache: ExpositionCache, options: AgentOptions, clock: any Clock) -> HTTPResponse {
        guard let status = cache.status else {
            return .text(503, "starting: no sample taken yet")
        }
        let age = Double(clock.monotonicNanoseconds() - status.publishedMonotonicNanoseconds) / 1e9
        let limit = staleAfterSeconds(options)
        guard age <= limit else {
            return .text(503, "stale: the last sample is \(formatSeconds(age)) s old, more than \(formatSeconds(limit)) s")
        }
        return .text(200, "ok: sample \(status.sequence), \(status.seriesCount) series, \(formatSeconds(age)) s old")
    }

    static func landingPage(_ options: AgentOptions) -> HTTPResponse {
        let html = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Ember</title></head>
            <body>
            <h1>Ember \(Agent.version)</h1>
            <p>Metrics and power telemetry agent, sampling every \(DurationParser.format(options.intervalSeconds)).</p>
            <ul>
            <li><a href="/metrics">/metrics</a>: Prometheus text 0.0.4 or OpenMetrics 1.0.0</li>
            <li><a href="/healthz">/healthz</a>: 200 while samples are fresh</li>
            <li><a href="/api/v1/snapshot">/api/v1/snapshot</a>: latest values as JSON, by subsystem</li>
            <li><a href="/api/v1/series">/api/v1/series</a>: series with history</li>
            <li>/api/v1/query?series=ID&amp;tier=raw|minute|hour&amp;from=…&amp;to=…: stored points</li>
            </ul>
            </body></html>

            """
        return HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }

    private static func formatSeconds(_ seconds: Double) -> String {
        String(Double(Int(seconds * 1000)) / 1000)
    }
}
