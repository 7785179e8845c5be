import EmberCore
import XCTest

@testable import EmberCLI

final class AgentOptionsTests: XCTestCase {
    func testDefaults() throws {
        let options = try EmberMain.options([])

        XCTAssertEqual(options.listenAddress, ":9811")
        XCTAssertEqual(options.intervalSeconds, 1)
        XCTAssertEqual(options.timeoutSeconds, 0.8, accuracy: 1e-9)
        XCTAssertEqual(options.roots, SourceRoots())
        XCTAssertTrue(options.enabledCollectors.contains("hwmon"))
        XCTAssertTrue(options.enabledCollectors.contains("netdev"))
    }

    func testFlagsWithEqualsAndSeparateValue() throws {
        let options = try EmberMain.options([
            "--path.sysfs=/tmp/sys", "--path.procfs", "/tmp/proc", "--sample.interval=5s", "--log.level", "debug",
        ])

        XCTAssertEqual(options.roots.sysfs, "/tmp/sys")
        XCTAssertEqual(options.roots.procfs, "/tmp/proc")
        XCTAssertEqual(options.intervalSeconds, 5)
        XCTAssertEqual(options.timeoutSeconds, 4, accuracy: 1e-9)
        XCTAssertEqual(options.logLevel, .debug)
    }

    func testDebugfsFollowsSysfs() throws {
        let derived = try EmberMain.options(["--path.sysfs=/tmp/tree/sys/"])
        XCTAssertEqual(derived.roots.debugfs, "/tmp/tree/sys/kernel/debug")

        let explicit = try EmberMain.options(["--path.sysfs=/tmp/tree/sys", "--path.debugfs=/mnt/debug"])
        XCTAssertEqual(explicit.roots.debugfs, "/mnt/debug")

        let defaults = try EmberMain.options([])
        XCTAssertEqual(defaults.roots.debugfs, "/sys/kernel/debug")
    }

    func testDevfsSitsBesideSysfs() throws {
        let derived = try EmberMain.options(["--path.sysfs=/tmp/tree/sys/"])
        XCTAssertEqual(derived.roots.devfs, "/tmp/tree/dev")

        let relative = try EmberMain.options(["--path.sysfs=sys"])
        XCTAssertEqual(relative.roots.devfs, "dev")

        let explicit = try EmberMain.options(["--path.sysfs=/tmp/tree/sys", "--path.devfs=/mnt/dev"])
        XCTAssertEqual(explicit.roots.devfs, "/mnt/dev")

        let defaults = try EmberMain.options([])
        XCTAssertEqual(defaults.roots.devfs, "/dev")
    }

    func testCollectorSwitches() throws {
        let disabled = try EmberMain.options(["--no-collector.hwmon", "--no-collector.netdev"])
        XCTAssertFalse(disabled.enabledCollectors.contains("hwmon"))
        XCTAssertFalse(disabled.enabledCollectors.contains("netdev"))
        XCTAssertTrue(disabled.enabledCollectors.contains("cpu"))

        let only = try EmberMain.options(["--collector.disable-defaults", "--collector.thermal_zone"])
        XCTAssertEqual(only.enabledCollectors, ["thermal_zone"])
    }

    func testCollectorOptionIsPassedThrough() throws {
        let options = try EmberMain.options(["--collector.netdev.device-exclude=^lo$"])

        XCTAssertEqual(options.collectorOptions.values["collector.netdev.device-exclude"], "^lo$")
    }

    func testUnknownFlagIsRejected() {
        XCTAssertThrowsError(try EmberMain.options(["--web.listen=:1"])) { error in
            XCTAssertEqual(String(describing: error), "unknown flag --web.listen")
        }
    }

    func testBareUnknownFlagIsRejected() {
        XCTAssertThrowsError(try EmberMain.options(["--bogus"])) { error in
            XCTAssertEqual(String(describing: error), "unknown flag --bogus")
        }
        XCTAssertThrowsError(try EmberMain.options(["--bogus", "--no-collector.cpu"])) { error in
            XCTAssertEqual(String(describing: error), "unknown flag --bogus")
        }
    }

    func testSwitchValuesAreParsedAsBooleans() throws {
        let only = try EmberMain.options(["--collector.disable-defaults=1", "--collector.cpu=true"])
        XCTAssertEqual(only.enabledCollectors, ["cpu"])

        let withoutHwmon = try EmberMain.options(["--collector.hwmon=false"])
        XCTAssertFalse(withoutHwmon.enabledCollectors.contains("hwmon"))
        XCTAssertTrue(withoutHwmon.enabledCollectors.contains("cpu"))
    }

    func testInvalidSwitchValueIsRejected() {
        XCTAssertThrowsError(try EmberMain.options(["--collector.cpu=yes"])) { error in
            XCTAssertTrue(error is UsageError)
            XCTAssertEqual(String(describing: error), "invalid --collector.cpu=yes: expected true or false")
        }
        XCTAssertThrowsError(try EmberMain.options(["--collector.disable-defaults=x"])) { error in
            XCTAssertTrue(error is UsageError)
        }
    }

    func testInvalidListenAddressIsUsageError() {
        XCTAssertThrowsError(try EmberMain.options(["--web.listen-address=nope"])) { error in
            XCTAssertTrue(error is UsageError, "\(type(of: error))")
            XCTAssertEqual(
                String(describing: error),
                "invalid --web.listen-address nope: missing port; expected host:port, [ipv6]:port or :port")
        }
        XCTAssertThrowsError(try EmberMain.options(["--web.listen-address=:99999"])) { error in
            XCTAssertTrue(error is UsageError, "\(type(of: error))")
        }
    }

    func testInvalidDeviceFilterExitsWithUsageStatus() {
        XCTAssertEqual(EmberMain.run(["snapshot", "--collector.netdev.device-include=("]), 2)
        XCTAssertEqual(
            EmberMain.run(["snapshot", "--collector.netdev.device-include=a", "--collector.netdev.device-exclude=b"]),
            2)
    }

    func testInvalidSmartIntervalExitsWithUsageStatus() {
        XCTAssertEqual(EmberMain.run(["snapshot", "--collector.nvme.smart-interval=hourly"]), 2)
        XCTAssertEqual(EmberMain.run(["snapshot", "--collector.nvme.smart-interval=0s"]), 2)
    }

    func testSmartIntervalIsCollectorOption() throws {
        let options = try EmberMain.options(["--collector.nvme.smart-interval=5m"])

        XCTAssertEqual(options.collectorOptions.values["collector.nvme.smart-interval"], "5m")
    }

    func testSnapshotFormatTakesSeparateValue() {
        XCTAssertThrowsError(try SnapshotCommand.run(["--format", "json"])) { error in
            XCTAssertEqual(String(describing: error), "invalid --format json: expected text or openmetrics")
        }
        XCTAssertThrowsError(try SnapshotCommand.run(["--format"])) { error in
            XCTAssertEqual(String(describing: error), "flag --format needs a value")
        }
    }

    func testUnknownCollectorIsRejected() {
        XCTAssertThrowsError(try EmberMain.options(["--collector.gpu"])) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("unknown collector \"gpu\""))
        }
    }

    func testHTTPLimitFlags() throws {
        let defaults = try EmberMain.options([])
        XCTAssertEqual(defaults.maxConnections, 64)
        XCTAssertEqual(defaults.readTimeoutSeconds, 10)
        XCTAssertEqual(defaults.idleTimeoutSeconds, 60)
        XCTAssertEqual(defaults.writeTimeoutSeconds, 10)

        let options = try EmberMain.options([
            "--web.max-connections=1200", "--web.read-timeout=2s", "--web.idle-timeout=5m", "--web.write-timeout=500ms",
        ])
        XCTAssertEqual(options.maxConnections, 1200)
        XCTAssertEqual(options.readTimeoutSeconds, 2)
        XCTAssertEqual(options.idleTimeoutSeconds, 300)
        XCTAssertEqual(options.writeTimeoutSeconds, 0.5)
        XCTAssertThrowsError(try EmberMain.options(["--web.max-connections=0"]))
        XCTAssertThrowsError(try EmberMain.options(["--web.write-timeout=0s"]))
    }

    func testInvalidDurationIsRejected() {
        XCTAssertThrowsError(try EmberMain.options(["--sample.interval=fast"]))
        XCTAssertThrowsError(try EmberMain.options(["--sample.interval=0s"]))
    }

    func testRetentionShorterThanWindowIsRejected() {
        XCTAssertThrowsError(try EmberMain.options(["--history.raw-retention=30s", "--history.window=1m"])) { error in
            XCTAssertEqual(
                String(describing: error),
                "--history.raw-retention 30s must be at least the longest --history.window, 1m")
        }
    }

    func testUsageHintNamesCommandHelp() {
        XCTAssertEqual(EmberMain.usageHint("snapshot"), "Run `ember help snapshot` for its flags.")
        XCTAssertEqual(EmberMain.usageHint("frobnicate"), "Run `ember help` for usage.")
    }

    func testDurationParser() {
        XCTAssertEqual(DurationParser.seconds("500ms"), 0.5)
        XCTAssertEqual(DurationParser.seconds("1m30s"), 90)
        XCTAssertEqual(DurationParser.seconds("15m"), 900)
        XCTAssertEqual(DurationParser.seconds("2h"), 7200)
        XCTAssertNil(DurationParser.seconds("5"))
        XCTAssertNil(DurationParser.seconds(""))
        XCTAssertNil(DurationParser.seconds("1x"))
        XCTAssertEqual(DurationParser.format(0.5), "500ms")
        XCTAssertEqual(DurationParser.format(900), "15m")
    }
}

extension AgentOptionsTests {
    /// A sample interval past 2^63 ns used to trap when the sampler converted it to UInt64 nanoseconds.
    func testIntervalBeyondInt64NanosecondsIsRejected() {
        XCTAssertThrowsError(try EmberMain.options(["--sample.interval=20000000000s"])) { error in
            XCTAssertEqual(String(describing: error),
                           "invalid --sample.interval 20000000000s: expected a positive duration under 292 years, "
                               + "such as 500ms, 1s, 5m")
        }
    }
}
