import EmberCore
import EmberHistory
import Foundation
import XCTest

@testable import EmberExposition

private struct FixedClock: Clock {
    let wall: Double

    func monotonicNanoseconds() -> UInt64 { 0 }
    func wallSeconds() -> Double { wall }
}

/// The JSON API on a history fed 3 minutes of 1 Hz samples starting at 1_800_000_000 (a whole minute).
final class HistoryAPITests: XCTestCase {
    private let start = 1_800_000_000.0
    private let temperature = MetricDescriptor(
        "node_thermal_zone_temp", "Zone temperature.", labels: ["type", "zone"], windowUnit: "celsius")
    private let received = MetricDescriptor(
        "ember_network_receive_bytes_total", "Bytes.", type: .counter, labels: ["device"])
    private let temperatureID = #"node_thermal_zone_temp{type="soc-thermal",zone="0"}"#

    private func api(samples: Bool = true) -> HistoryAPI {
        let shared = SharedHistory(History(HistoryConfiguration()))
        guard samples else { return HistoryAPI(history: shared, clock: FixedClock(wall: start + 180)) }
        for second in 0..<180 {
            let snapshot = Snapshot(
                sequence: UInt64(second + 1), wallTime: start + Double(second),
                monotonicNanoseconds: UInt64(second + 1) * 1_000_000_000,
                samples: [
                    Sample(temperature, 40 + Double(second % 60) / 10, labelValues: ["soc-thermal", "0"]),
                    // A counter reset at second 100.
                    Sample(received, Double(second < 100 ? second * 10 : (second - 100) * 10), labelValues: ["eth\"0"]),
                ],
                collectors: [CollectorStatus(name: "thermal_zone", outcome: .success, durationSeconds: 0.001,
                                             errorCount: 0, unavailableSources: [])])
            shared.withHistory { $0.record(snapshot) }
            shared.publish(snapshot)
        }
        return HistoryAPI(history: shared, clock: FixedClock(wall: start + 180))
    }

    private func get(_ api: HistoryAPI, _ target: String) -> (status: Int, json: [String: Any]) {
        var router = HTTPRouter()
        api.register(on: &router)
        let response = router.handle(HTTPRequest(method: "GET", target: target))
        XCTAssertEqual(response.headers.first { $0.name == "Content-Type" }?.value, "application/json", target)
        let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        XCTAssertNotNil(object, "body of \(target) is not a JSON object: \(String(decoding: response.body, as: UTF8.self))")
        return (response.status, object ?? [:])
    }

    private func query(_ parameters: [(String, String)]) -> String {
        var components = URLComponents()
        components.path = "/api/v1/query"
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        // URLComponents leaves `+` unescaped, which the API reads as a space, as forms do.
        return components.string!.replacingOccurrences(of: "+", with: "%2B")
    }

    private func error(_ result: (status: Int, json: [String: Any])) -> String {
        result.json["error"] as? String ?? ""
    }

    func testSnapshotGroupsBySubsystemWithUnits() throws {
        let result = get(api(), "/api/v1/snapshot")

        XCTAssertEqual(result.status, 200)
        XCTAssertEqual(result.json["sequence"] as? Int, 180)
        let subsystems = try XCTUnwrap(result.json["subsystems"] as? [String: [[String: Any]]])
        XCTAssertEqual(Set(subsystems.keys), ["thermal_zone", "network"])
        let zone = try XCTUnwrap(subsystems["thermal_zone"]?.first)
        XCTAssertEqual(zone["unit"] as? String, "celsius")
        XCTAssertEqual(zone["value"] as? Double, 45.9)
        XCTAssertEqual(zone["id"] as? String, temperatureID)
        XCTAssertEqual((zone["labels"] as? [String: String])?["type"], "soc-thermal")
        XCTAssertEqual(subsystems["network"]?.first?["id"] as? String, #"ember_network_receive_bytes_total{device="eth\"0"}"#)
    }

    func testSnapshotBeforeFirstSampleIs503() {
        let result = get(api(samples: false), "/api/v1/snapshot")

        XCTAssertEqual(result.status, 503)
        XCTAssertTrue(error(result).contains("no sample"), error(result))
    }

    func testSeriesListsPointsPerTier() throws {
        let result = get(api(), "/api/v1/series")

        XCTAssertEqual(result.status, 200)
        let series = try XCTUnwrap(result.json["series"] as? [[String: Any]])
        let zone = try XCTUnwrap(series.first { $0["id"] as? String == temperatureID })
        XCTAssertEqual(zone["points"] as? [String: Int], ["raw": 180, "minute": 3, "hour": 1])
        XCTAssertEqual(zone["type"] as? String, "gauge")
    }

    func testRawQueryHonoursRange() throws {
        let target = query([("series", temperatureID), ("tier", "raw"), ("from", "1800000010"), ("to", "1800000019.5")])

        let result = get(api(), target)

        XCTAssertEqual(result.status, 200)
        let points = try XCTUnwrap(result.json["points"] as? [[String: Double]])
        XCTAssertEqual(points.map { $0["t"]! }, (10...19).map { start + Double($0) })
        XCTAssertEqual(points.first?["value"], 41.0)
    }

    func testMinuteQueryReturnsAggregates() throws {
        let target = query([("series", temperatureID), ("tier", "minute"), ("from", "2027-01-15T08:00:00Z")])

        let result = get(api(), target)

        XCTAssertEqual(result.status, 200, error(result))
        let points = try XCTUnwrap(result.json["points"] as? [[String: Double]])
        XCTAssertEqual(points.count, 3)
        XCTAssertEqual(points[0]["t"], start)
        XCTAssertEqual(points[0]["min"], 40)
        XCTAssertEqual(points[0]["max"], 45.9)
        XCTAssertEqual(points[0]["avg"]!, 42.95, accuracy: 1e-9)
        XCTAssertEqual(points[0]["count"], 60)
        XCTAssertEqual(result.json["step_seconds"] as? Double, 60)
    }

    func testCounterQueryHandlesReset() throws {
        let id = #"ember_network_receive_bytes_total{device="eth\"0"}"#
        let target = query([("series", id), ("tier", "hour")])

        let result = get(api(), target)

        XCTAssertEqual(result.status, 200, error(result))
        let points = try XCTUnwrap(result.json["points"] as? [[String: Double]])
        // 0 → 990 before the reset, then 0 → 790 after it.
        XCTAssertEqual(points.first?["increase"], 990 + 790)
        XCTAssertEqual(points.first?["last"], 790)
    }

    func testRFC3339WithOffsetEqualsUnixSeconds() {
        XCTAssertEqual(APITime.parse("2027-01-15T09:00:00+01:00"), APITime.parse("2027-01-15T08:00:00Z"))
        XCTAssertEqual(APITime.parse("2027-01-15T08:00:00Z"), 1_800_000_000)
        XCTAssertEqual(APITime.parse("2027-01-15T08:00:00.25Z"), 1_800_000_000.25)
        XCTAssertEqual(APITime.parse("1800000000"), 1_800_000_000)
        XCTAssertNil(APITime.parse("2027-02-30T00:00:00Z"))
        XCTAssertNil(APITime.parse("2027-01-15 08:00"))
    }

    func testBadParametersAre400WithReason() {
        let cases: [(String, String)] = [
            (query([("tier", "raw")]), "missing parameter series"),
            (query([("series", "node_thermal_zone_temp{type=")]), "invalid parameter series"),
            (query([("series", temperatureID), ("tier", "day")]), "invalid parameter tier \"day\""),
            (query([("series", temperatureID), ("from", "yesterday")]), "invalid parameter from \"yesterday\""),
            (query([("series", temperatureID), ("to", "2027-13-01T00:00:00Z")]), "invalid parameter to"),
            (query([("series", temperatureID), ("from", "20"), ("to", "10")]), "from is after to"),
            (query([("series", temperatureID), ("from", "-1e300")]), "between 1970-01-01 and 9999-12-31"),
            (query([("series", temperatureID), ("to", "1e300")]), "invalid parameter to"),
            (query([("series", #"node_thermal_zone_temp{zone="0"}"#)]), "has the labels [type, zone]"),
            (query([("series", temperatureID), ("step", "60")]), "unknown parameter step"),
            ("/api/v1/query?series=a&series=b", "parameter series is given more than once"),
            ("/api/v1/query?series=%zz", "malformed percent-encoding"),
            ("/api/v1/query?series=a&from=2027-01-15T09:00:00+01:00", "write the offset's + as %2B"),
            ("/api/v1/snapshot?x=1", "unknown parameter x; this endpoint takes no parameters"),
            ("/api/v1/series?x=1", "unknown parameter x"),
            ("/api/v1/query?=1&series=a", "a parameter with an empty name; expected from, series, tier, to"),
        ]
        let api = api()

        for (target, message) in cases {
            let result = get(api, target)
            XCTAssertEqual(result.status, 400, target)
            XCTAssertTrue(error(result).contains(message), "\(target): \(error(result))")
        }
    }

    func testUnknownSeriesIs404() {
        let result = get(api(), query([("series", #"node_hwmon_temp_celsius{chip="x",sensor="temp1"}"#)]))

        XCTAssertEqual(result.status, 404)
        XCTAssertTrue(error(result).contains("series not found"), error(result))
    }

    func testUnitsFromNamesAndNodeExporterExceptions() {
        let cases: [(String, String)] = [
            ("node_hwmon_temp_celsius", "celsius"),
            ("node_thermal_zone_temp", "celsius"),
            ("ember_rapl_energy_joules_total", "joules"),
            ("node_hwmon_curr_amps", "amperes"),
            ("node_power_supply_current_ampere", "amperes"),
            ("node_power_supply_current_max", "amperes"),
            ("node_power_supply_voltage_min_design", "volts"),
            ("node_power_supply_online", ""),
            ("ember_pcie_link_speed_transfers_per_second", "transfers_per_second"),
            ("ember_pcie_link_width_lanes", "lanes"),
            ("node_network_up", ""),
            ("node_network_speed_bytes", "bytes_per_second"),
            ("node_network_mtu_bytes", "bytes"),
            ("node_power_supply_capacity", "percent"),
            ("ember_carbon_grams_total", "grams"),
            ("ember_carbon_intensity_grams_per_kilowatt_hour", "grams_per_kilowatt_hour"),
        ]

        for (name, unit) in cases {
            XCTAssertEqual(MetricUnits.unit(of: name), unit, name)
        }
    }

    func testSubsystemGroupsAgentFamilies() {
        let cases: [(String, String)] = [
            ("node_hwmon_temp_celsius", "hwmon"),
            ("ember_thermal_zone_temp_window_max_celsius", "thermal_zone"),
            ("node_power_supply_online", "power_supply"),
            ("ember_last_sample_timestamp_seconds", "agent"),
            ("ember_collector_errors_total", "agent"),
            ("ember_read_timeouts_total", "agent"),
            ("ember_process_resident_memory_bytes", "agent"),
            ("ember_build_info", "agent"),
        ]

        for (name, subsystem) in cases {
            XCTAssertEqual(MetricUnits.subsystem(of: name), subsystem, name)
        }
    }

    func testJSONWriterEscapesAndWritesNull() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("text", "quote \" backslash \\ newline \n tab \t bell \u{7} é")
        writer.field("nan", .nan)
        writer.field("inf", -.infinity)
        writer.field("small", 1e-7)
        writer.field("whole", 60)
        writer.endObject()

        XCTAssertEqual(
            String(decoding: writer.bytes, as: UTF8.self),
            #"{"text":"quote \" backslash \\ newline \n tab \t bell \u0007 é","nan":null,"inf":null,"small":1e-07,"whole":60}"#)
    }
}
