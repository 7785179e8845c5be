import EmberExposition
import XCTest

final class MetricNamesTests: XCTestCase {
    func testMetricNameCharacterClasses() {
        for valid in ["a", "Z", "_", ":", "node_cpu_seconds_total", "job:rate5m", "_x9", "A_b:C"] {
            XCTAssertTrue(MetricNames.isValidMetricName(valid), valid)
        }
        for invalid in ["", "9abc", "a-b", "a.b", "a b", "a\n", "é", "a\"", "a{", "a=1", "a\u{0}"] {
            XCTAssertFalse(MetricNames.isValidMetricName(invalid), invalid)
        }
    }

    func testLabelNameCharacterClasses() {
        for valid in ["a", "Z", "_", "chip", "sensor_2", "_x", "A9"] {
            XCTAssertTrue(MetricNames.isValidLabelName(valid), valid)
        }
        for invalid in ["", "__name__", "__x", "9a", "a:b", "a-b", "a.b", "a b", "ü", "a\""] {
            XCTAssertFalse(MetricNames.isValidLabelName(invalid), invalid)
        }
    }

    /// Every ASCII byte, one at a time, at the start and after a letter.
    func testEveryASCIICharacter() {
        for code in UInt8(0)...UInt8(127) {
            let character = String(UnicodeScalar(code))
            let isLetter = (65...90).contains(code) || (97...122).contains(code)
            let isDigit = (48...57).contains(code)
            let isUnderscore = code == 95
            let isColon = code == 58

            XCTAssertEqual(MetricNames.isValidMetricName("a" + character), isLetter || isDigit || isUnderscore || isColon,
                           "metric name a + byte \(code)")
            XCTAssertEqual(MetricNames.isValidMetricName(character), isLetter || isUnderscore || isColon,
                           "metric name of byte \(code)")
            XCTAssertEqual(MetricNames.isValidLabelName("a" + character), isLetter || isDigit || isUnderscore,
                           "label name a + byte \(code)")
            XCTAssertEqual(MetricNames.isValidLabelName(character), isLetter || isUnderscore,
                           "label name of byte \(code)")
        }
    }
}
