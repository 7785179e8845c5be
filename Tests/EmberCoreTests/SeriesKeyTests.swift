import EmberCore
import XCTest

final class SeriesKeyTests: XCTestCase {
    /// Builds the key by appending, as it was built before the byte copy: the name, then a 0x01 byte before
    /// each label value.
    private func appendedKey(_ name: String, _ values: [String]) -> String {
        var key = name
        for value in values {
            key += "\u{1}" + value
        }
        return key
    }

    func testKeyLayoutForLabelCases() {
        let cases: [(String, [String])] = [
            ("ember_up", []),
            ("node_hwmon_temp_celsius", ["platform_soc_thermal", "temp1"]),
            ("n", [""]),
            ("node_network_info", ["", "", "eth0"]),
            ("ember_x", ["température °C", "µW", "a\u{1}b"]),
            ("node_filesystem_size_bytes", [String(repeating: "/mnt/long", count: 40)]),
        ]

        for (name, values) in cases {
            let key = Sample.seriesKey(name: name, labelValues: values)
            XCTAssertEqual(key, appendedKey(name, values), name)
            XCTAssertEqual(Array(key.utf8), Array(appendedKey(name, values).utf8), name)
        }
    }

    func testLabelValueFromSubstring() {
        let source = "prefix-eth0-suffix"
        let device = String(source.dropFirst(7).dropLast(7))

        XCTAssertEqual(Sample.seriesKey(name: "node_network_up", labelValues: [device]), "node_network_up\u{1}eth0")
    }

    func testSampleKeyMatchesStaticKey() {
        let descriptor = MetricDescriptor("node_cpu_seconds_total", "CPU.", type: .counter, labels: ["cpu", "mode"])
        let sample = Sample(descriptor, 1, labelValues: ["0", "idle"])

        XCTAssertEqual(sample.seriesKey, "node_cpu_seconds_total\u{1}0\u{1}idle")
    }
}
