import EmberCore
import EmberHistory
import Foundation
import XCTest

@testable import EmberExposition

/// `/api/v1/query?tier=hour` and `/api/v1/series` for a temperature whose older hours keep only
/// their maximum: a history of 2 full hours and 6 hours of maxima, fed every 10 minutes for 10 hours.
final class HourMaximumQueryTests: XCTestCase {
    private struct FixedClock: Clock {
        let wall: Double

        func monotonicNanoseconds() -> UInt64 { 0 }
        func wallSeconds() -> Double { wall }
    }

    /// 2027-01-15T08:00:00Z, a whole hour.
    private let start = 1_800_000_000.0
    private let temperature = MetricDescriptor(
        "node_thermal_zone_temp", "Zone temperature.", labels: ["type", "zone"], windowUnit: "celsius")
    private let wear = MetricDescriptor("ember_nvme_percentage_used_ratio", "Wear.", labels: ["device"])
    private let temperatureID = #"node_thermal_zone_temp{type="soc-thermal",zone="0"}"#

    private func api() -> HistoryAPI {
        var configuration = HistoryConfiguration()
        configuration.hourBuckets = 2
        configuration.longHourBuckets = 6
        let shared = SharedHistory(History(configuration))
        for step in 0..<60 {
            let snapshot = Snapshot(
                sequence: UInt64(step + 1), wallTime: start + Double(step * 600),
                monotonicNanoseconds: UInt64(step + 1) * 600_000_000_000,
                samples: [
                    // Hour h has the maximum 40 + h + 0.5, at its last sample.
                    Sample(temperature, 40 + Double(step / 6) + Double(step % 6) / 10,
                           labelValues: ["soc-thermal", "0"]),
                    Sample(wear, 0.25, labelValues: ["nvme0"]),
                ],
                collectors: [])
            shared.withHistory { $0.record(snapshot) }
        }
        return HistoryAPI(history: shared, clock: FixedClock(wall: start + 36_000))
    }

    private func get(_ api: HistoryAPI, _ target: String) throws -> (status: Int, json: [String: Any]) {
        var router = HTTPRouter()
        api.register(on: &router)
        let response = router.handle(HTTPRequest(method: "GET", target: target))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return (response.status, try XCTUnwrap(object, String(decoding: response.body, as: UTF8.self)))
    }

    private func hourQuery(from: Double) -> String {
        var components = URLComponents()
        components.path = "/api/v1/query"
        components.queryItems = [
            URLQueryItem(name: "series", value: temperatureID), URLQueryItem(name: "tier", value: "hour"),
            URLQueryItem(name: "from", value: String(Int(from))),
        ]
        return components.string!
    }

    func testOlderHoursHaveMaximumOnly() throws {
        let result = try get(api(), hourQuery(from: start))

        XCTAssertEqual(result.status, 200)
        let points = try XCTUnwrap(result.json["points"] as? [[String: Double]])
        // Hours 3 to 6 have their maximum only, hours 7 and 8 are full, and hour 9 is open.
        XCTAssertEqual(points.map { $0["t"]! }, (3...9).map { start + Double($0 * 3600) })
        for (hour, point) in zip(3...6, points) {
            XCTAssertEqual(Set(point.keys), ["t", "max"], "hour \(hour)")
            XCTAssertEqual(point["max"]!, 40.5 + Double(hour), accuracy: 1e-9, "hour \(hour)")
        }
        for (hour, point) in zip(7...9, points.suffix(3)) {
            XCTAssertEqual(Set(point.keys), ["t", "min", "max", "avg", "last", "count"], "hour \(hour)")
            XCTAssertEqual(point["max"]!, 40.5 + Double(hour), accuracy: 1e-9, "hour \(hour)")
            XCTAssertEqual(point["min"], 40 + Double(hour), "hour \(hour)")
            XCTAssertEqual(point["count"], 6, "hour \(hour)")
        }
    }

    func testRangeWithinMaximumOnlyHours() throws {
        let target = hourQuery(from: start + 4 * 3600) + "&to=" + String(Int(start + 5 * 3600))

        let points = try XCTUnwrap(try get(api(), target).json["points"] as? [[String: Double]])

        XCTAssertEqual(points.map { $0["t"]! }, [start + 4 * 3600, start + 5 * 3600])
        XCTAssertEqual(points.map { Set($0.keys) }, [["t", "max"], ["t", "max"]])
    }

    func testSeriesCountsMaximumOnlyHours() throws {
        let result = try get(api(), "/api/v1/series")

        let series = try XCTUnwrap(result.json["series"] as? [[String: Any]])
        let zone = try XCTUnwrap(series.first { $0["id"] as? String == temperatureID })
        let wearSeries = try XCTUnwrap(series.first { $0["name"] as? String == "ember_nvme_percentage_used_ratio" })
        XCTAssertEqual(zone["points"] as? [String: Int], ["raw": 60, "minute": 60, "hour": 7, "hour_max_only": 4])
        XCTAssertEqual(wearSeries["points"] as? [String: Int], ["raw": 60, "minute": 60, "hour": 7])
    }
}
