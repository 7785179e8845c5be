@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class DevfreqLoadTests: XCTestCase {
    func testParsesPercentAndFrequency() throws {
        let load = try DevfreqLoad.parse("12@1000000000Hz\n", path: "load")
        XCTAssertEqual(load, DevfreqLoad(ratio: 0.12, frequencyHertz: 1_000_000_000))
    }

    func testParsesIdleAndFullLoad() throws {
        XCTAssertEqual(try DevfreqLoad.parse("0@300000000Hz", path: "load")?.ratio, 0)
        XCTAssertEqual(try DevfreqLoad.parse("100@300000000Hz", path: "load")?.ratio, 1)
    }

    func testEmptyFileMeansNoMeasurement() throws {
        XCTAssertNil(try DevfreqLoad.parse("", path: "load"))
        XCTAssertNil(try DevfreqLoad.parse("\n", path: "load"))
    }

    func testRejectsMalformedContent() {
        let cases = ["12", "12@300000000", "@300000000Hz", "x@300000000Hz", "101@300000000Hz", "-1@300000000Hz",
                     "12@Hz", "12@300000000Hz@1"]
        for content in cases {
            XCTAssertThrowsError(try DevfreqLoad.parse(content, path: "load"), content) { error in
                XCTAssertEqual((error as? ParseError)?.path, "load", content)
            }
        }
    }
}

final class DevfreqTransitionStatsTests: XCTestCase {
    /// A memory controller on an Orange Pi 5 with vendor 5.10.160: the header runs the ten-digit
    /// frequencies together.
    static let dmcCapture = """
             From  :   To
                   : 528000000106800000015600000002112000000   time(ms)
        * 528000000:         0         0         0        37 110661386
         1068000000:        12         0         0         0     34776
         1560000000:         0         0         0         0         0
         2112000000:        26        12         0         0    224716
        Total transition : 87

        """

    func testParsesRowsOfConcatenatedHeaderTable() throws {
        let stats = try XCTUnwrap(DevfreqTransitionStats.parse(Self.dmcCapture, path: "trans_stat"))

        XCTAssertEqual(stats.states.map(\.frequencyHertz), [528_000_000, 1_068_000_000, 1_560_000_000, 2_112_000_000])
        XCTAssertEqual(stats.states.map(\.milliseconds), [110_661_386, 34776, 0, 224_716])
        XCTAssertEqual(stats.states[0].transitionsTo, [0, 0, 0, 37])
        XCTAssertEqual(stats.states[3].transitionsTo, [26, 12, 0, 0])
        XCTAssertEqual(stats.states.map(\.isMarked), [true, false, false, false])
        XCTAssertEqual(stats.transitionCount, 87)
    }

    func testMarkOnTenDigitFrequencyRow() throws {
        let text = """
                 From  :   To
                       : 534000000132000000019680000002400000000   time(ms)
              534000000:         0         0         0        12    438923
             1320000000:         7         0         0         0      1660
             1968000000:         2         0         0         0       136
            *2400000000:         3         7         2         0   1413100

            """
        let stats = try XCTUnwrap(DevfreqTransitionStats.parse(text, path: "trans_stat"))

        XCTAssertEqual(stats.states.map(\.isMarked), [false, false, false, true])
        XCTAssertEqual(stats.states[3].frequencyHertz, 2_400_000_000)
        XCTAssertEqual(stats.states[3].milliseconds, 1_413_100)
        XCTAssertEqual(stats.transitionCount, 33)
    }

    func testMarksOnAllRowsOrNone() throws {
        let allMarked = Self.dmcCapture.replacingOccurrences(of: "\n 1", with: "\n*1")
            .replacingOccurrences(of: "\n 2", with: "\n*2")
        let stats = try XCTUnwrap(DevfreqTransitionStats.parse(allMarked, path: "trans_stat"))
        XCTAssertEqual(stats.states.map(\.isMarked), [true, true, true, true])

        let noneMarked = Self.dmcCapture.replacingOccurrences(of: "* 528", with: "  528")
        let unmarked = try XCTUnwrap(DevfreqTransitionStats.parse(noneMarked, path: "trans_stat"))
        XCTAssertEqual(unmarked.states.map(\.isMarked), [false, false, false, false])
        XCTAssertEqual(unmarked.states[0].frequencyHertz, 528_000_000)
    }

    func testTimeWiderThanItsField() throws {
        // 12345678901 ms is 143 days: the time fills more than its ten-character field.
        let text = """
                 From  :   To
                       : 300000000 400000000   time(ms)
            * 300000000:         0         312345678901
              400000000:         4         0      5000

            """
        let stats = try XCTUnwrap(DevfreqTransitionStats.parse(text, path: "trans_stat"))

        XCTAssertEqual(stats.states[0].transitionsTo, [0, 3])
        XCTAssertEqual(stats.states[0].milliseconds, 12_345_678_901)
        XCTAssertEqual(stats.states[1].milliseconds, 5000)
    }

    func testTenDigitCountFillsItsField() throws {
        let text = """
                       : 300000000 400000000   time(ms)
            * 300000000:         04294967295       100
              400000000:         1         0       200

            """
        let stats = try XCTUnwrap(DevfreqTransitionStats.parse(text, path: "trans_stat"))

        XCTAssertEqual(stats.states[0].transitionsTo, [0, 4_294_967_295])
        XCTAssertEqual(stats.states[0].milliseconds, 100)
    }

    func testNotSupportedAndEmptyGiveNoTable() throws {
        XCTAssertNil(try DevfreqTransitionStats.parse("Not Supported.\n", path: "trans_stat"))
        XCTAssertNil(try DevfreqTransitionStats.parse("", path: "trans_stat"))
    }

    func testRejectsTruncatedAndGarbledTables() {
        let truncated = String(Self.dmcCapture.prefix(250))
        let garbled = Self.dmcCapture.replacingOccurrences(of: "34776", with: "3x776")
        let noRows = "     From  :   To\n           :   time(ms)\nTotal transition : 0\n"
        for text in [truncated, garbled, noRows, "lots of text\n"] {
            XCTAssertThrowsError(try DevfreqTransitionStats.parse(text, path: "trans_stat"), text)
        }
    }
}

final class DevfreqCollectorTests: XCTestCase {
    private func run(_ roots: SourceRoots, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ DevfreqCollector(context: $0) }, roots: roots, fileSystem: fileSystem)
    }

    func testVendor61ExportsEveryDevice() throws {
        let sink = try run(Fixtures.roots("rk3588/opi5plus-v6.1"))
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(values["ember_devfreq_frequency_hertz{device=\"dmc\"}"], 528_000_000)
        XCTAssertEqual(values["ember_devfreq_target_frequency_hertz{device=\"fdab0000.npu\"}"], 500_000_000)
        XCTAssertEqual(values["ember_devfreq_min_frequency_hertz{device=\"fb000000.gpu\"}"], 300_000_000)
        XCTAssertEqual(values["ember_devfreq_max_frequency_hertz{device=\"dmc\"}"], 2_112_000_000)
        XCTAssertEqual(values["ember_devfreq_governor_info{device=\"dmc\",governor=\"dmc_ondemand\"}"], 1)
        XCTAssertEqual(values["ember_devfreq_load_ratio{device=\"dmc\"}"], 0.03)
        XCTAssertEqual(values["ember_devfreq_load_frequency_hertz{device=\"dmc\"}"], 528_000_000)
        XCTAssertEqual(values["ember_devfreq_load_ratio{device=\"fb000000.gpu\"}"], 0)
        XCTAssertNil(values["ember_devfreq_load_ratio{device=\"fdab0000.npu\"}"], "the NPU's load file is empty")
        XCTAssertEqual(values["ember_devfreq_transitions_total{device=\"dmc\"}"], 87)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testTimeInStateSumsToUptime() throws {
        let sink = try run(Fixtures.roots("rk3588/opi5plus-v6.1"))

        let dmcSeconds = sink.samples.filter {
            $0.descriptor.name == "ember_devfreq_time_in_state_seconds_total" && $0.labelValues[0] == "dmc"
        }.map(\.value)
        XCTAssertEqual(dmcSeconds.count, 4)
        // The generator spreads uptime (95400 s) minus 1.5 s over the rows.
        XCTAssertEqual(dmcSeconds.reduce(0, +), 95_398.5, accuracy: 0.0005)
    }

    func testMainlineHasGPUOnlyAndNoLoad() throws {
        let sink = try run(Fixtures.roots("rk3588/opi5plus-mainline"))

        let devices = Set(sink.samples.map { $0.labelValues[0] })
        XCTAssertEqual(devices, ["fb000000.gpu"])
        XCTAssertFalse(sink.samples.contains { $0.descriptor.name == "ember_devfreq_load_ratio" })
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testVendor510HasNoDMC() throws {
        let sink = try run(Fixtures.roots("rk3588/opi5plus-v5.10"))

        XCTAssertEqual(Set(sink.samples.map { $0.labelValues[0] }), ["fb000000.gpu", "fdab0000.npu"])
        XCTAssertEqual(HardwareHarness.values(sink)["ember_devfreq_transitions_total{device=\"fb000000.gpu\"}"], 1450)
    }

    func testReadingAPIOnVendorFixture() throws {
        var sink = MetricSink()
        let reader = SourceReader(roots: Fixtures.roots("rk3588/opi5plus-v6.1"))

        let readings = try DevfreqReading.readAll(reader: reader, into: &sink)

        XCTAssertEqual(readings.map(\.device), ["dmc", "fb000000.gpu", "fdab0000.npu"])
        XCTAssertEqual(readings[0].load, DevfreqLoad(ratio: 0.03, frequencyHertz: 528_000_000))
        XCTAssertEqual(readings[0].governor, "dmc_ondemand")
        XCTAssertEqual(readings[0].transitionStats?.states.count, 4)
        XCTAssertNil(readings[2].load, "the NPU's load file is empty")
        XCTAssertFalse(readings[2].hasNoTransitionStats)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testNoDevfreqClassIsNotAnError() throws {
        let tree = try HardwareTree()

        let sink = try run(tree.roots)

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testUnsupportedStatsLogOnceAtDebug() throws {
        let tree = try makeTree()
        try tree.write("class/devfreq/gpu/trans_stat", "Not Supported.\n")
        let log = RecordingLogSink()
        let reader = SourceReader(roots: tree.roots)
        let logger = Logger(level: .debug, sink: log)
        let context = CollectorContext(reader: reader, logger: logger, options: CollectorOptions())
        let collector = DevfreqCollector(context: context)

        var first = MetricSink()
        try collector.update(into: &first)
        var second = MetricSink()
        try collector.update(into: &second)

        let names = Set(first.samples.map(\.descriptor.name))
        XCTAssertFalse(names.contains("ember_devfreq_time_in_state_seconds_total"))
        XCTAssertFalse(names.contains("ember_devfreq_transitions_total"))
        XCTAssertTrue(first.errors.isEmpty)
        XCTAssertEqual(log.lines(containing: "devfreq statistics not available").count, 1)
        XCTAssertEqual(HardwareHarness.values(second)["ember_devfreq_frequency_hertz{device=\"gpu\"}"], 400_000_000)
    }

    func testFailedReadsOmitOnlyTheirSeries() throws {
        for code in [EINVAL, EIO, EAGAIN, ENODATA] {
            let tree = try makeTree()
            let faults = FaultInjectingFileSystem()
            faults.inject(code, at: tree.path("class/devfreq/gpu/cur_freq"))
            faults.inject(code, at: tree.path("class/devfreq/gpu/trans_stat"))

            let sink = try run(tree.roots, fileSystem: faults)
            let values = HardwareHarness.values(sink)

            XCTAssertNil(values["ember_devfreq_frequency_hertz{device=\"gpu\"}"], Errno.name(of: code))
            XCTAssertNil(values["ember_devfreq_transitions_total{device=\"gpu\"}"], Errno.name(of: code))
            XCTAssertEqual(values["ember_devfreq_max_frequency_hertz{device=\"gpu\"}"], 800_000_000)
            XCTAssertEqual(values["ember_devfreq_load_ratio{device=\"gpu\"}"], 0.5)
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code, code])
        }
    }

    func testVanishedDeviceIsNotAnError() throws {
        // A devfreq device whose driver unbinds mid-read fails its remaining reads with ENODEV.
        let tree = try makeTree()
        let faults = FaultInjectingFileSystem()
        for file in ["cur_freq", "target_freq", "min_freq", "max_freq", "governor", "load", "trans_stat"] {
            faults.inject(ENODEV, at: tree.path("class/devfreq/gpu/" + file))
        }

        let sink = try run(tree.roots, fileSystem: faults)

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testGarbledAttributesAreRecordedErrors() throws {
        let tree = try makeTree()
        try tree.write("class/devfreq/gpu/cur_freq", "")
        try tree.write("class/devfreq/gpu/min_freq", "fast\n")
        try tree.write("class/devfreq/gpu/load", "150@400000000Hz\n")
        try tree.write("class/devfreq/gpu/trans_stat", "* 400000000:    1\n")

        let sink = try run(tree.roots)

        XCTAssertEqual(HardwareHarness.errorPaths(sink), [
            tree.path("class/devfreq/gpu/cur_freq"), tree.path("class/devfreq/gpu/load"),
            tree.path("class/devfreq/gpu/min_freq"), tree.path("class/devfreq/gpu/trans_stat"),
        ])
        let names = Set(sink.samples.map(\.descriptor.name))
        XCTAssertEqual(names, [
            "ember_devfreq_target_frequency_hertz", "ember_devfreq_max_frequency_hertz", "ember_devfreq_governor_info",
        ])
    }

    /// Writes a device with two frequencies, a 50 % load and a valid table.
    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        let files = [
            "cur_freq": "400000000\n", "target_freq": "400000000\n", "min_freq": "200000000\n",
            "max_freq": "800000000\n", "governor": "simple_ondemand\n", "load": "50@400000000Hz\n",
            "trans_stat": """
                     From  :   To
                           : 200000000 400000000   time(ms)
                  200000000:         0         2      1000
                * 400000000:         1         0      2500
                Total transition : 3

                """,
        ]
        for (file, content) in files {
            try tree.write("class/devfreq/gpu/" + file, content)
        }
        return tree
    }
}
