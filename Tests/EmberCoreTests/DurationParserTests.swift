import EmberCore
import XCTest

final class DurationParserTests: XCTestCase {
    /// `--sample.interval=20000000000s` used to crash the agent when the interval was converted to
    /// UInt64 nanoseconds. Durations past Go's time.Duration range are now invalid flags.
    func testDurationBeyondInt64NanosecondsIsInvalid() {
        XCTAssertNil(DurationParser.seconds("20000000000s"))
        XCTAssertNil(DurationParser.seconds("9223372037s"))
        XCTAssertNil(DurationParser.seconds("1" + String(repeating: "0", count: 400) + "s"))
        XCTAssertNil(DurationParser.seconds("15300w"))
    }

    func testLongestValidDurationIsAccepted() {
        XCTAssertEqual(DurationParser.seconds("9223372036s"), 9_223_372_036)
        XCTAssertEqual(DurationParser.seconds("15000w"), 9_072_000_000)
    }
}
