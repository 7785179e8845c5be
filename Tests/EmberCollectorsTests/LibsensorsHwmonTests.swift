@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import Glibc
import XCTest

/// Builds what libsensors would report for the chips the sysfs reader finds, so the libsensors
/// path can be checked on fixture trees, where libsensors itself fails to initialise.
private enum SimulatedLibsensors {
    /// `SENSORS_FEATURE_*` by sysfs type.
    static let featureCodes: [String: UInt32] = [
        "in": 0, "fan": 1, "temp": 2, "power": 3, "energy": 4, "curr": 5, "humidity": 6, "cpu": 0x10,
        "intrusion": 0x11, "beep_enable": 0x18,
    ]

    /// libsensors' subfeature type: the feature code in the high byte, bit 7 for properties that
    /// are flags rather than values in the feature's unit.
    static func subfeatureType(sensorType: String, property: String) -> UInt32? {
        guard let code = featureCodes[sensorType] else { return nil }
        let isFlag = property.hasSuffix("alarm") || ["fault", "beep", "type"].contains(property)
        return code << 8 | (isFlag ? 0x80 : 0)
    }

    /// Builds the chips as libsensors 3.6 reads them, from `hwmonN/` when it has a `name` file and
    /// otherwise from `hwmonN/device/`. Only files named with a sensor number (`temp1_input`) are
    /// included, so never the bare `temp` of a thermal zone device (the sysfs reader's `temp0`).
    static func chips(for readings: [HwmonChipReading], classPath: String) -> [LibsensorsChip] {
        readings.map { reading in
            let directory = classPath + "/" + reading.directoryName
            let hasName = FileManager.default.fileExists(atPath: directory + "/name")
            var chip = LibsensorsChip(
                prefix: reading.name ?? "", busType: 4, busNumber: 0, address: 0,
                path: hasName ? directory : directory + "/device")
            for (sensor, values) in reading.sensors.sorted(by: { $0.key < $1.key }) {
                guard featureCodes[values.type] != nil,
                      let feature = feature(sensor, values, chipPath: chip.path)
                else { continue }
                chip.features.append(feature)
            }
            return chip
        }
    }

    /// Builds a feature whose values are the files' values, divided as libsensors divides them.
    /// Returns nil when libsensors would see none of the sensor's files.
    static func feature(_ sensor: String, _ values: HwmonSensorReading, chipPath: String) -> LibsensorsFeature? {
        let visible = values.values.filter {
            LibsensorsOverlay.isReadByLibsensors($0.value.path, chipPath: chipPath, sensorType: values.type)
        }
        guard !visible.isEmpty else { return nil }

        var feature = LibsensorsFeature(name: sensor, label: visible["label"]?.text ?? sensor)
        for (property, value) in visible.sorted(by: { $0.key < $1.key }) {
            guard let type = subfeatureType(sensorType: values.type, property: property),
                  let raw = Double(value.text)
            else { continue }
            let scaled = raw / LibsensorsOverlay.scaling(subfeatureType: type)
            feature.subfeatures.append(LibsensorsSubfeature(
                name: sensor + "_" + property, type: type, value: .success(scaled)))
        }
        return feature
    }
}

private func runHwmon(_ source: any HwmonSource) throws -> MetricSink {
    var sink = MetricSink()
    try HwmonCollector(source: source).update(into: &sink)
    return sink
}

private func sysfsSource(_ roots: SourceRoots) -> SysfsHwmonSource {
    SysfsHwmonSource(reader: SourceReader(roots: roots), logger: Logger(level: .error))
}

final class LibsensorsOverlayTests: XCTestCase {
    private let classPath = "/sys/class/hwmon"

    private func reading(_ directory: String, name: String, input: String) -> HwmonChipReading {
        var chip = HwmonChipReading(directoryName: directory, label: cleanHwmonName(name), name: name)
        chip.sensors["temp1"] = HwmonSensorReading(
            type: "temp", values: ["input": HwmonAttributeValue(text: input, path: "\(classPath)/\(directory)/temp1_input")])
        return chip
    }

    private func chip(_ directory: String, celsius: Double, label: String = "temp1") -> LibsensorsChip {
        LibsensorsChip(
            prefix: "w1_slave_temp", busType: 4, busNumber: 0, address: 0, path: classPath + "/" + directory,
            features: [LibsensorsFeature(name: "temp1", label: label, subfeatures: [
                LibsensorsSubfeature(name: "temp1_input", type: 0x200, value: .success(celsius)),
            ])])
    }

    func testIdenticalVirtualChipsStayDistinct() throws {
        // Two 1-Wire sensors: libsensors names both w1_slave_temp-virtual-0.
        var readings = [reading("hwmon1", name: "w1_slave_temp", input: "21000"),
                        reading("hwmon2", name: "w1_slave_temp", input: "22000")]
        var sink = MetricSink()

        LibsensorsOverlay.apply([chip("hwmon2", celsius: 32.5), chip("hwmon1", celsius: 31.5)], to: &readings,
                                classPath: classPath, sink: &sink)

        XCTAssertEqual(readings[0].sensors["temp1"]?.values["input"]?.number, 31500)
        XCTAssertEqual(readings[1].sensors["temp1"]?.values["input"]?.number, 32500)
        XCTAssertEqual(HwmonChipLabel.makeUnique(readings.map { ($0.label, $0.directoryName) }),
                       ["w1_slave_temp_hwmon1", "w1_slave_temp_hwmon2"])
    }

    func testIdenticalVirtualChipsExportTwoSeries() throws {
        let sink = try runHwmon(FixedChipsSource(
            readings: [reading("hwmon1", name: "w1_slave_temp", input: "21000"),
                       reading("hwmon2", name: "w1_slave_temp", input: "22000")],
            chips: [chip("hwmon1", celsius: 21), chip("hwmon2", celsius: 22)], classPath: classPath))

        let values = HardwareHarness.values(sink)
        XCTAssertEqual(values["node_hwmon_temp_celsius{chip=\"w1_slave_temp_hwmon1\",sensor=\"temp1\"}"], 21)
        XCTAssertEqual(values["node_hwmon_temp_celsius{chip=\"w1_slave_temp_hwmon2\",sensor=\"temp1\"}"], 22)
    }

    func testChipPathToDirectory() {
        XCTAssertEqual(LibsensorsOverlay.hwmonDirectory(ofChipPath: "/sys/class/hwmon/hwmon3", classPath: classPath),
                       "hwmon3")
        XCTAssertEqual(
            LibsensorsOverlay.hwmonDirectory(ofChipPath: "/sys/class/hwmon/hwmon3/device", classPath: classPath),
            "hwmon3")
        XCTAssertNil(LibsensorsOverlay.hwmonDirectory(ofChipPath: "/sys/devices/platform/x", classPath: classPath))
        XCTAssertNil(LibsensorsOverlay.hwmonDirectory(ofChipPath: "/sys/class/hwmon/", classPath: classPath))
    }

    func testCoveredFilesByDirectory() {
        let covered = LibsensorsOverlay.coveredFiles(
            [chip("hwmon1", celsius: 1), chip("hwmon2/device", celsius: 2),
             LibsensorsChip(prefix: "x", busType: 4, busNumber: 0, address: 0, path: "/elsewhere/hwmon3")],
            classPath: classPath)

        XCTAssertEqual(covered, ["hwmon1": ["temp1_input"], "hwmon2": ["temp1_input"]])
    }

    func testScaledValuesRoundTripExactly() {
        for raw in [45123.0, -5150, 79850, 1, 0, 999_999] {
            XCTAssertEqual(LibsensorsOverlay.sysfsValue(raw / 1000, subfeatureType: 0x200), raw, "temp \(raw)")
            XCTAssertEqual(LibsensorsOverlay.sysfsValue(raw / 1_000_000, subfeatureType: 0x300), raw, "power \(raw)")
        }
        XCTAssertEqual(LibsensorsOverlay.sysfsValue(1, subfeatureType: 0x281), 1, "alarms are not scaled")
        XCTAssertEqual(LibsensorsOverlay.sysfsValue(1200, subfeatureType: 0x100), 1200, "fans are not scaled")
        XCTAssertEqual(LibsensorsOverlay.sysfsValue(1.5125, subfeatureType: 0x1000), 1512.5, "vid in mV")
    }

    func testConfiguredLabelReplacesFileLabel() {
        let feature = LibsensorsFeature(name: "temp1", label: "CPU package")
        XCTAssertEqual(LibsensorsOverlay.configuredLabel(feature, fileLabel: "Composite"), "CPU package")
        XCTAssertEqual(LibsensorsOverlay.configuredLabel(feature, fileLabel: nil), "CPU package")
    }

    func testUnconfiguredLabelKeepsFileText() {
        let fromFile = LibsensorsFeature(name: "temp1", label: "Left side")
        XCTAssertNil(LibsensorsOverlay.configuredLabel(fromFile, fileLabel: "Left side  "))
        let fromName = LibsensorsFeature(name: "temp1", label: "temp1")
        XCTAssertNil(LibsensorsOverlay.configuredLabel(fromName, fileLabel: nil))
    }

    func testIgnoredSensorDisappears() throws {
        var readings = [reading("hwmon1", name: "nct6779", input: "30000")]
        readings[0].sensors["temp2"] = HwmonSensorReading(
            type: "temp", values: ["input": HwmonAttributeValue(text: "-128000", path: classPath + "/hwmon1/temp2_input")])
        readings[0].sensors["pwm1"] = HwmonSensorReading(
            type: "pwm", values: ["": HwmonAttributeValue(text: "128", path: "/x/pwm1")])

        let sink = try runHwmon(FixedChipsSource(readings: readings, chips: [chip("hwmon1", celsius: 30)],
                                                 classPath: classPath))

        let names = Set(HardwareHarness.values(sink).keys)
        XCTAssertEqual(names, ["node_hwmon_chip_names{chip=\"nct6779\",chip_name=\"nct6779\"}",
                               "node_hwmon_temp_celsius{chip=\"nct6779\",sensor=\"temp1\"}",
                               "node_hwmon_pwm{chip=\"nct6779\",sensor=\"pwm1\"}"])
    }

    /// A thermal zone's own `temp` file is in `hwmonN/device/`, which libsensors does not read, so
    /// the `temp0` that the sysfs reader makes of it was not dropped by an `ignore` statement.
    func testSensorLibsensorsCannotSeeStays() throws {
        var readings = [reading("hwmon0", name: "acpitz", input: "40000")]
        readings[0].sensors["temp0"] = HwmonSensorReading(
            type: "temp", values: ["": HwmonAttributeValue(text: "40000", path: classPath + "/hwmon0/device/temp")])

        let sink = try runHwmon(FixedChipsSource(readings: readings, chips: [chip("hwmon0", celsius: 40)],
                                                 classPath: classPath))

        let values = HardwareHarness.values(sink)
        XCTAssertEqual(values["node_hwmon_temp_celsius{chip=\"acpitz\",sensor=\"temp0\"}"], 40)
        XCTAssertEqual(values["node_hwmon_temp_celsius{chip=\"acpitz\",sensor=\"temp1\"}"], 40)
    }

    func testLibsensorsReadsOnlyNumberedChipFiles() {
        let chipPath = classPath + "/hwmon0"
        XCTAssertTrue(LibsensorsOverlay.isReadByLibsensors(chipPath + "/temp1_input", chipPath: chipPath, sensorType: "temp"))
        XCTAssertTrue(LibsensorsOverlay.isReadByLibsensors(chipPath + "/in0_input", chipPath: chipPath, sensorType: "in"))
        XCTAssertFalse(LibsensorsOverlay.isReadByLibsensors(chipPath + "/device/temp1_input", chipPath: chipPath,
                                                            sensorType: "temp"))
        XCTAssertFalse(LibsensorsOverlay.isReadByLibsensors(chipPath + "/temp", chipPath: chipPath, sensorType: "temp"))
        XCTAssertFalse(LibsensorsOverlay.isReadByLibsensors(classPath + "/hwmon01/temp1_input", chipPath: chipPath,
                                                            sensorType: "temp"))
    }

    func testComputedValueAndLabelAreExported() throws {
        let computed = chip("hwmon1", celsius: 40.25, label: "SoC")

        let sink = try runHwmon(FixedChipsSource(
            readings: [reading("hwmon1", name: "soc_thermal", input: "45000")], chips: [computed], classPath: classPath))

        let values = HardwareHarness.values(sink)
        XCTAssertEqual(values["node_hwmon_temp_celsius{chip=\"soc_thermal\",sensor=\"temp1\"}"], 40.25)
        XCTAssertEqual(values["node_hwmon_sensor_label{chip=\"soc_thermal\",label=\"SoC\",sensor=\"temp1\"}"], 1)
    }

    func testReadErrorOmitsSeries() throws {
        var failing = chip("hwmon1", celsius: 0)
        failing.features[0].subfeatures = [LibsensorsSubfeature(
            name: "temp1_input", type: 0x200,
            value: .failure(LibsensorsReadError(
                path: classPath + "/hwmon1/temp1_input", error: LibsensorsError(operation: "read", code: 4))))]

        let sink = try runHwmon(FixedChipsSource(
            readings: [reading("hwmon1", name: "nvme", input: "45000")], chips: [failing], classPath: classPath))

        XCTAssertNil(HardwareHarness.values(sink)["node_hwmon_temp_celsius{chip=\"nvme\",sensor=\"temp1\"}"])
        XCTAssertEqual(sink.errors.count, 1)
        XCTAssertTrue("\(sink.errors[0])".contains("/sys/class/hwmon/hwmon1/temp1_input"), "\(sink.errors[0])")
    }

    func testUnmatchedChipKeepsSysfsValues() throws {
        let sink = try runHwmon(FixedChipsSource(
            readings: [reading("hwmon1", name: "nvme", input: "45000")], chips: [chip("hwmon7", celsius: 1)],
            classPath: classPath))

        XCTAssertEqual(HardwareHarness.values(sink)["node_hwmon_temp_celsius{chip=\"nvme\",sensor=\"temp1\"}"], 45)
    }
}

/// Fixed sysfs readings with libsensors chips applied, for tests without a sysfs tree.
private final class FixedChipsSource: HwmonSource {
    let readings: [HwmonChipReading]
    let chips: [LibsensorsChip]
    let classPath: String

    init(readings: [HwmonChipReading], chips: [LibsensorsChip], classPath: String) {
        self.readings = readings
        self.chips = chips
        self.classPath = classPath
    }

    func readChips(into sink: inout MetricSink) throws -> [HwmonChipReading] {
        var result = readings
        LibsensorsOverlay.apply(chips, to: &result, classPath: classPath, sink: &sink)
        return result
    }
}

final class LibsensorsParityTests: XCTestCase {
    /// Without a configuration, libsensors' values are the files' values, so both paths must
    /// export the same series and values on every fixture tree.
    func testFixtureTreesMatchSysfsPath() throws {
        for tree in ["node-exporter", "rk3588/opi5plus-v5.10", "rk3588/opi5plus-v6.1", "rk3588/opi5plus-mainline"] {
            let roots = Fixtures.roots(tree)
            let sysfs = sysfsSource(roots)
            var scratch = MetricSink()
            let chips = SimulatedLibsensors.chips(for: try sysfs.readChips(into: &scratch), classPath: sysfs.classPath)
            XCTAssertFalse(chips.isEmpty, tree)

            let direct = try runHwmon(sysfsSource(roots))
            let overlaid = try runHwmon(LibsensorsHwmonSource(sysfs: sysfsSource(roots), readLibsensorsChips: { chips }))

            XCTAssertEqual(HardwareHarness.values(overlaid), HardwareHarness.values(direct), tree)
            XCTAssertEqual(overlaid.errors.count, direct.errors.count, tree)
        }
    }
}

extension LibsensorsParityTests {
    /// A file libsensors read is not read again, so a fault there costs nothing on this path.
    func testCoveredFileIsNotReadTwice() throws {
        let roots = Fixtures.roots("rk3588/opi5plus-mainline")
        let sysfs = sysfsSource(roots)
        var scratch = MetricSink()
        let chips = SimulatedLibsensors.chips(for: try sysfs.readChips(into: &scratch), classPath: sysfs.classPath)
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: roots.sys("class/hwmon/hwmon8/temp1_input"))
        let faulty = SysfsHwmonSource(reader: SourceReader(roots: roots, fileSystem: fileSystem), logger: Logger(level: .error))

        let sink = try runHwmon(LibsensorsHwmonSource(sysfs: faulty, readLibsensorsChips: { chips }))

        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
        XCTAssertNotNil(HardwareHarness.values(sink)["node_hwmon_temp_celsius{chip=\"nvme_nvme0\",sensor=\"temp1\"}"])
    }
}

/// Checks on this machine's real `/sys`, where libsensors either initialises or falls back.
final class LibsensorsHostTests: XCTestCase {
    /// Skips when libsensors did not initialise, unless `/sys` is a real sysfs under `CI=true`.
    /// libsensors fails only on a sysfs it does not recognise, so there it must initialise.
    private func requireLibsensors(_ collector: HwmonCollector) throws {
        guard !collector.usesLibsensors else { return }

        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        let sysIsSysfs = mounts.split(separator: "\n").contains { $0.hasPrefix("sysfs /sys sysfs ") }
        if ProcessInfo.processInfo.environment["CI"] == "true" && sysIsSysfs {
            XCTFail("libsensors did not initialise although /sys is a sysfs")
        }
        throw XCTSkip("libsensors did not initialise on this machine")
    }

    func testHostInitialisesOrLogsFallback() throws {
        let log = RecordingLogSink()
        let context = CollectorContext(
            reader: SourceReader(roots: SourceRoots()), logger: Logger(level: .info, sink: log),
            options: CollectorOptions())

        let collector = HwmonCollector(context: context)

        let through = log.lines(containing: "reading hwmon through libsensors")
        let fallback = log.lines(containing: "reading hwmon from sysfs directly")
        XCTAssertEqual(through.count + fallback.count, 1, "\(log.lines(containing: ""))")
        XCTAssertEqual(collector.usesLibsensors, !through.isEmpty)
        if !fallback.isEmpty {
            XCTAssertTrue(fallback[0].contains("err="), fallback[0])
        }
    }

    func testHostSeriesMatchSysfsPath() throws {
        let context = CollectorContext(
            reader: SourceReader(roots: SourceRoots()), logger: Logger(level: .error), options: CollectorOptions())
        let collector = HwmonCollector(context: context)
        try requireLibsensors(collector)

        var throughLibsensors = MetricSink()
        try collector.update(into: &throughLibsensors)
        let direct = try runHwmon(sysfsSource(SourceRoots()))

        let libsensorsValues = HardwareHarness.values(throughLibsensors)
        let directValues = HardwareHarness.values(direct)
        XCTAssertEqual(Set(libsensorsValues.keys), Set(directValues.keys))
        for (key, value) in directValues {
            // Live sensors move between the two reads. A tolerance of 2 units covers a degree, but
            // a fan's jitter is larger, so fan speeds only need to agree in sign.
            let tolerance = key.contains("_rpm") ? abs(value) + 1 : 2
            XCTAssertEqual(libsensorsValues[key] ?? .nan, value, accuracy: tolerance, key)
        }
    }

    func testMissingConfigFileFallsBack() throws {
        let log = RecordingLogSink()
        let context = CollectorContext(
            reader: SourceReader(roots: SourceRoots()), logger: Logger(level: .info, sink: log),
            options: CollectorOptions([HwmonCollector.sensorsConfigFlag: "/nonexistent/sensors3.conf"]))

        let collector = HwmonCollector(context: context)

        XCTAssertFalse(collector.usesLibsensors)
        let lines = log.lines(containing: "reading hwmon from sysfs directly")
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines.first?.contains("level=warn") ?? false, "\(lines)")
        XCTAssertTrue(lines.first?.contains("/nonexistent/sensors3.conf") ?? false, "\(lines)")
    }

    func testConfigSyntaxErrorIsLogged() throws {
        let file = FileManager.default.temporaryDirectory.path + "/ember-sensors-\(UUID().uuidString).conf"
        try "bogus_statement 1 2 3\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let log = RecordingLogSink()
        let context = CollectorContext(
            reader: SourceReader(roots: SourceRoots()), logger: Logger(level: .info, sink: log),
            options: CollectorOptions([HwmonCollector.sensorsConfigFlag: file]))

        let collector = HwmonCollector(context: context)
        try requireLibsensors(collector)

        let lines = log.lines(containing: "could not parse")
        XCTAssertEqual(lines.count, 1, "\(log.lines(containing: ""))")
        XCTAssertTrue(lines.first?.contains("line 1: Invalid keyword") ?? false, "\(lines)")
        XCTAssertTrue(lines.first?.contains(file) ?? false, "\(lines)")
    }

    func testFlagTurnsLibsensorsOff() {
        let log = RecordingLogSink()
        let context = CollectorContext(
            reader: SourceReader(roots: SourceRoots()), logger: Logger(level: .info, sink: log),
            options: CollectorOptions([HwmonCollector.libsensorsFlag: "false"]))

        XCTAssertFalse(HwmonCollector(context: context).usesLibsensors)
        XCTAssertEqual(log.lines(containing: "collector.hwmon.libsensors is false").count, 1)
    }

    func testFixtureRootNeverUsesLibsensors() {
        let log = RecordingLogSink()
        let context = CollectorContext(
            reader: SourceReader(roots: Fixtures.roots("rk3588/opi5plus-mainline")),
            logger: Logger(level: .info, sink: log), options: CollectorOptions())

        XCTAssertFalse(HwmonCollector(context: context).usesLibsensors)
        XCTAssertEqual(log.lines(containing: "because --path.sysfs is not /sys").count, 1)
    }
}
