import EmberHistory
import XCTest

@testable import EmberCLI

/// The `--history.*`, `--storage.*` and `--path.machine-id` flags.
final class HistoryOptionsTests: XCTestCase {
    private func usageError(_ flags: [String]) -> String? {
        do {
            _ = try EmberMain.options(flags)
            return nil
        } catch let error as UsageError {
            return error.message
        } catch {
            return "unexpected error \(error)"
        }
    }

    func testDefaultsMatchDocumentedRetention() throws {
        let options = try EmberMain.options([])

        XCTAssertEqual(options.history.rawRetentionSeconds, 900)
        XCTAssertEqual(options.history.minuteBuckets, 1440)
        XCTAssertEqual(options.history.hourBuckets, 720)
        XCTAssertEqual(options.history.longHourBuckets, 9600)
        XCTAssertEqual(options.windowSeconds, [60, 900])
        XCTAssertEqual(options.storage.flushIntervalSeconds, 300)
        XCTAssertEqual(options.storage.machineIDPath, "/etc/machine-id")
        XCTAssertTrue(options.storage.pathIsDefault)
    }

    func testRetentionFlagsRoundUpToBuckets() throws {
        let options = try EmberMain.options([
            "--history.minute-retention=90s", "--history.hour-retention=2d", "--history.long-retention=3d",
            "--history.window=30s,1m,30s", "--path.machine-id=/tmp/id",
        ])

        XCTAssertEqual(options.history.minuteBuckets, 2)
        XCTAssertEqual(options.history.hourBuckets, 48)
        XCTAssertEqual(options.history.longHourBuckets, 72)
        XCTAssertEqual(options.windowSeconds, [30, 60], "a repeated window is dropped")
        XCTAssertEqual(options.storage.machineIDPath, "/tmp/id")
    }

    func testInvalidHistoryFlagsAreRejected() {
        let cases: [([String], String)] = [
            (["--history.minute-retention=30s"], "expected at least 1m, one bucket"),
            (["--history.hour-retention=30m"], "expected at least 1h, one bucket"),
            (["--history.long-retention=1d"], "--history.long-retention must be at least --history.hour-retention"),
            (["--history.window=1m,abc"], "\"abc\" is not a duration"),
            (["--history.window=20m"], "at least the longest --history.window"),
            (["--storage.flush-interval=0s"], "invalid --storage.flush-interval"),
            (["--no-storage=maybe"], "invalid --no-storage=maybe"),
        ]

        for (flags, expected) in cases {
            let message = usageError(flags)
            XCTAssertNotNil(message, "\(flags) was accepted")
            XCTAssertTrue(message?.contains(expected) == true, "\(flags): \(message ?? "")")
        }
    }
}
