import EmberCore
import XCTest

@testable import EmberCLI

final class ReadTimeoutOptionTests: XCTestCase {
    func testDefaultIs250Milliseconds() throws {
        let options = try EmberMain.options([])

        XCTAssertEqual(options.readDeadline.timeoutSeconds, 0.25, accuracy: 1e-9)
        XCTAssertEqual(options.readDeadline.firstRetrySeconds, 30)
        XCTAssertEqual(options.readDeadline.maximumRetrySeconds, 300)
    }

    func testDefaultStaysUnderShortSampleTimeout() throws {
        let options = try EmberMain.options(["--sample.interval=200ms"])

        XCTAssertEqual(options.readDeadline.timeoutSeconds, 0.08, accuracy: 1e-9, "half of the 160ms sample timeout")
    }

    func testFlagSetsTimeout() throws {
        let options = try EmberMain.options(["--collector.read-timeout=100ms"])

        XCTAssertEqual(options.readDeadline.timeoutSeconds, 0.1, accuracy: 1e-9)
    }

    func testInvalidTimeoutIsRejected() {
        for value in ["0s", "fast", ""] {
            XCTAssertThrowsError(try EmberMain.options(["--collector.read-timeout=\(value)"])) { error in
                XCTAssertTrue("\(error)".contains("invalid --collector.read-timeout"), "\(error)")
            }
        }
    }

    /// A deadline at or past the sample timeout could never abandon a read before its collector fails.
    func testTimeoutNotUnderSampleTimeoutIsRejected() {
        for flags in [["--collector.read-timeout=5s"], ["--collector.read-timeout=800ms"],
                      ["--sample.timeout=300ms", "--collector.read-timeout=300ms"]] {
            XCTAssertThrowsError(try EmberMain.options(flags), "\(flags)") { error in
                XCTAssertTrue("\(error)".contains("must be shorter than --sample.timeout"), "\(error)")
            }
        }
    }

    func testTimeoutUnderSampleTimeoutIsAccepted() throws {
        let options = try EmberMain.options(["--sample.timeout=300ms", "--collector.read-timeout=299ms"])

        XCTAssertEqual(options.readDeadline.timeoutSeconds, 0.299, accuracy: 1e-9)
    }

    func testHelpListsFlag() {
        XCTAssertTrue(AgentOptions.flags.contains { $0.name == "collector.read-timeout" })
    }
}
