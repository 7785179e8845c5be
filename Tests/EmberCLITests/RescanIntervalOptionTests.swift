import EmberCore
import EmberExposition
import XCTest

@testable import EmberCLI

final class RescanIntervalOptionTests: XCTestCase {
    func testDefaultIsOneMinute() throws {
        XCTAssertEqual(try EmberMain.options([]).rescanSeconds, 60)
    }

    func testFlagSetsInterval() throws {
        XCTAssertEqual(try EmberMain.options(["--collector.rescan-interval=1m"]).rescanSeconds, 60)
        XCTAssertEqual(try EmberMain.options(["--collector.rescan-interval=0s"]).rescanSeconds, 0)
    }

    func testInvalidIntervalIsRejected() {
        for value in ["-1s", "often", ""] {
            XCTAssertThrowsError(try EmberMain.options(["--collector.rescan-interval=\(value)"])) { error in
                XCTAssertTrue("\(error)".contains("invalid --collector.rescan-interval"), "\(error)")
            }
        }
    }

    func testHelpListsFlag() {
        XCTAssertTrue(AgentOptions.flags.contains { $0.name == "collector.rescan-interval" })
    }

    /// Kept source files get what the open-file limit leaves after the reserve and two descriptors
    /// for each connection, so keeping them never lowers the connection limit.
    func testKeptFilesFitBesideConnections() {
        XCTAssertEqual(DescriptorBudget.keptSourceFileLimit(openFileLimit: 1024, connections: 64), 832)
        XCTAssertEqual(DescriptorBudget.keptSourceFileLimit(openFileLimit: 1_048_576, connections: 64), 2048)
        XCTAssertEqual(DescriptorBudget.keptSourceFileLimit(openFileLimit: 150, connections: 64), 0)
        XCTAssertEqual(DescriptorBudget.keptSourceFileLimit(openFileLimit: .max, connections: 64), 2048)

        let connections = DescriptorBudget.connectionLimit(configured: 64, openFileLimit: 1024)
        let kept = DescriptorBudget.keptSourceFileLimit(openFileLimit: 1024, connections: 64)
        XCTAssertLessThanOrEqual(DescriptorBudget.reservedDescriptors + UInt64(2 * connections + kept), 1024)
    }
}
