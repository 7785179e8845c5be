import EmberCore
import EmberTestSupport
import XCTest

final class LoggerTests: XCTestCase {
    func testLogfmtLine() {
        let sink = RecordingLogSink()
        let logger = Logger(level: .info, sink: sink).with("collector", "hwmon")

        logger.warn("read error", ("path", "/sys/class/hwmon/hwmon0/temp1_input"), ("err", "EIO (Input/output error)"))

        let line = sink.lines[0]
        XCTAssertTrue(line.hasPrefix("ts="))
        XCTAssertTrue(line.contains(" level=warn msg=\"read error\" collector=hwmon "))
        XCTAssertTrue(line.hasSuffix("path=/sys/class/hwmon/hwmon0/temp1_input err=\"EIO (Input/output error)\""))
    }

    func testLevelFilters() {
        let sink = RecordingLogSink()
        let logger = Logger(level: .warn, sink: sink)

        logger.info("hidden")
        logger.debug("hidden")
        logger.error("shown")

        XCTAssertEqual(sink.lines.count, 1)
    }

    func testValuesWithQuotesAndNewlinesAreEscaped() {
        let sink = RecordingLogSink()
        Logger(level: .debug, sink: sink).info("x", ("value", "a \"b\"\nc"))

        XCTAssertTrue(sink.lines[0].hasSuffix("value=\"a \\\"b\\\"\\nc\""))
    }
}
