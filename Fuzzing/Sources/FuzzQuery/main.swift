// The JSON API's query string: percent-decoding, times, series selectors and the /api/v1/query
// request built from them, with the response computed from a small history.
import EmberCore
@testable import EmberExposition
import FuzzSupport

let api = SampleHistory.makeAPI()

runFuzzer { input in
    let query = String(decoding: input, as: UTF8.self)
    let parameters = QueryParameters(query)
    for value in parameters.values.values {
        _ = APITime.parse(value)
        _ = SeriesSelector.parse(value)
    }
    _ = api.query(HTTPRequest(method: "GET", target: "/api/v1/query?" + query))
    _ = api.series(HTTPRequest(method: "GET", target: "/api/v1/series?" + query))
}
