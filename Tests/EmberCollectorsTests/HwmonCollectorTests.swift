@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class HwmonAttributeNameTests: XCTestCase {
    func testSplitsTypeIndexProperty() {
        let cases: [(String, HwmonAttributeName?)] = [
            ("temp1_crit_alarm", HwmonAttributeName(type: "temp", index: 1, property: "crit_alarm")),
            ("in0_input", HwmonAttributeName(type: "in", index: 0, property: "input")),
            ("pwm1", HwmonAttributeName(type: "pwm", index: 1, property: "")),
            ("temp01_input", HwmonAttributeName(type: "temp", index: 1, property: "input")),
            ("power1_average_interval", HwmonAttributeName(type: "power", index: 1, property: "average_interval")),
            ("pwm1_auto_point2_temp", HwmonAttributeName(type: "pwm", index: 1, property: "auto_point2_temp")),
            ("beep_enable", HwmonAttributeName(type: "beep_enable", index: 0, property: "")),
            ("update_interval", HwmonAttributeName(type: "update_interval", index: 0, property: "")),
            ("name", HwmonAttributeName(type: "name", index: 0, property: "")),
            // The regular expression backtracks to a shorter type when the greedy one fails.
            ("foo_bar1x", HwmonAttributeName(type: "foo", index: 0, property: "bar1x")),
            ("in0x", nil),
            ("1temp", nil),
            ("temp1_", nil),
            ("temp99999999999999999999999_input", nil),
            ("temp9223372036854775807_input", HwmonAttributeName(type: "temp", index: Int.max, property: "input")),
            ("temp9223372036854775808_input", nil),
            // Non-ASCII names split at the same code points as Go's regexp splits them.
            ("tempé1_input", HwmonAttributeName(type: "tempé", index: 1, property: "input")),
            ("temp1_é", HwmonAttributeName(type: "temp", index: 1, property: "é")),
        ]
        for (fileName, expected) in cases {
            XCTAssertEqual(HwmonAttributeName(fileName), expected, fileName)
        }
    }

    func testSensorDropsLeadingZeros() {
        XCTAssertEqual(HwmonAttributeName("temp01_input")?.sensor, "temp1")
    }

    func testCleanNameMatchesNodeExporter() {
        XCTAssertEqual(cleanHwmonName("Core 0"), "core_0")
        XCTAssertEqual(cleanHwmonName("nct6779\n"), "nct6779")
        XCTAssertEqual(cleanHwmonName("__Left side  "), "left_side")
        XCTAssertEqual(cleanHwmonName("coretemp.0"), "coretemp_0")
        XCTAssertEqual(cleanHwmonName("a:b"), "a:b")
        XCTAssertEqual(cleanHwmonName("...."), "")
        XCTAssertEqual(cleanHwmonName(""), "")
        XCTAssertEqual(cleanHwmonName("_"), "")
        XCTAssertEqual(cleanHwmonName("CPU-Big_Core1 "), "cpu_big_core1")
    }

    func testCleanNameLowercasesNonASCII() {
        XCTAssertEqual(cleanHwmonName("Température CPU"), "temp_rature_cpu")
        XCTAssertEqual(cleanHwmonName("ÉTAT"), "tat")
        // The Kelvin sign (U+212A) lower-cases to an ASCII `k`.
        XCTAssertEqual(cleanHwmonName("\u{212A}elvin"), "kelvin")
    }
}

final class HwmonFamiliesTests: XCTestCase {
    private func family(_ type: String, _ property: String, bare: Bool = false) -> HwmonFamily? {
        HwmonFamilies.family(sensorType: type, property: property, hasBareValue: bare)
    }

    func testNamesAndConversions() {
        let cases: [(String, String, Bool, String, UnitConversion)] = [
            ("temp", "input", false, "node_hwmon_temp_celsius", .milli),
            ("temp", "crit_alarm", false, "node_hwmon_temp_crit_alarm_celsius", .milli),
            ("temp", "type", false, "node_hwmon_temp_type", .none),
            ("in", "input", false, "node_hwmon_in_volts", .milli),
            ("in", "min", false, "node_hwmon_in_min_volts", .milli),
            ("cpu", "vid", false, "node_hwmon_cpu_vid_volts", .milli),
            ("in", "alarm", false, "node_hwmon_in_alarm", .none),
            ("fan", "fault", false, "node_hwmon_fan_fault", .none),
            ("fan", "beep", false, "node_hwmon_fan_beep_enabled", .none),
            ("fan", "input", false, "node_hwmon_fan_rpm", .none),
            ("fan", "target", false, "node_hwmon_fan_target_rpm", .none),
            ("fan", "pulses", false, "node_hwmon_fan_pulses", .none),
            ("curr", "input", false, "node_hwmon_curr_amps", .milli),
            ("power", "input", false, "node_hwmon_power_watt", .micro),
            ("power", "average", false, "node_hwmon_power_average_watt", .micro),
            ("power", "accuracy", false, "node_hwmon_power_accuracy", .micro),
            ("power", "average_interval", false, "node_hwmon_power_average_interval_seconds", .milli),
            ("energy", "input", false, "node_hwmon_energy_joule_total", .micro),
            ("humidity", "input", false, "node_hwmon_humidity", .micro),
            ("pwm", "", false, "node_hwmon_pwm", .none),
            ("pwm", "input", true, "node_hwmon_pwm_input", .none),
            ("pwm", "enable", false, "node_hwmon_pwm_enable", .none),
            ("intrusion", "alarm", false, "node_hwmon_intrusion_alarm", .none),
            ("freq", "input", false, "node_hwmon_freq_freq_mhz", .micro),
            ("vrm", "", false, "node_hwmon_voltage_regulator_version", .none),
            ("update_interval", "", false, "node_hwmon_update_interval_seconds", .milli),
            ("beep_enable", "", false, "node_hwmon_beep_enabled", .none),
        ]
        for (type, property, bare, name, scale) in cases {
            let result = family(type, property, bare: bare)
            XCTAssertEqual(result?.name, name, "\(type) \(property)")
            XCTAssertEqual(result?.scale, scale, "\(type) \(property)")
        }
    }

    func testEnergyIsCounterAndOthersGauges() {
        XCTAssertEqual(family("energy", "input")?.type, .counter)
        XCTAssertEqual(family("temp", "input")?.type, .gauge)
    }

    func testWindowUnitOnlyOnReadings() {
        XCTAssertEqual(family("temp", "input")?.windowUnit, "celsius")
        XCTAssertEqual(family("temp", "")?.windowUnit, "celsius")
        XCTAssertNil(family("temp", "max")?.windowUnit)
        XCTAssertEqual(family("power", "input")?.windowUnit, "watts")
        XCTAssertEqual(family("power", "average")?.windowUnit, "watts")
        XCTAssertNil(family("power", "cap")?.windowUnit)
        XCTAssertNil(family("in", "input")?.windowUnit)
    }

    func testLabelAndChipWidePropertiesHaveNoFamily() {
        XCTAssertNil(family("temp", "label"))
        XCTAssertNil(family("vrm", "extra"))
        XCTAssertNil(family("beep_enable", "x"))
    }

    func testOnlyFrequencyTakesSensorFromLabel() {
        XCTAssertEqual(family("freq", "input")?.sensorFromLabel, true)
        XCTAssertEqual(family("freq", "max")?.sensorFromLabel, false)
        XCTAssertEqual(family("temp", "input")?.sensorFromLabel, false)
    }
}

final class HwmonChipLabelTests: XCTestCase {
    func testDevicePathComesFirst() {
        let label = HwmonChipLabel.derive(
            resolvedDevice: "/sys/devices/platform/coretemp.0", nameFile: "coretemp\n",
            resolvedDirectory: "/sys/devices/platform/coretemp.0/hwmon/hwmon0")
        XCTAssertEqual(label, "platform_coretemp_0")
    }

    func testNameFileWithoutDevice() {
        let label = HwmonChipLabel.derive(
            resolvedDevice: nil, nameFile: "soc_thermal", resolvedDirectory: "/sys/devices/virtual/hwmon/hwmon0")
        XCTAssertEqual(label, "soc_thermal")
    }

    func testDirectoryNameLast() {
        let label = HwmonChipLabel.derive(resolvedDevice: nil, nameFile: "\n", resolvedDirectory: "/sys/class/hwmon/hwmon4")
        XCTAssertEqual(label, "hwmon4")
    }

    func testNothingUsable() {
        XCTAssertNil(HwmonChipLabel.derive(resolvedDevice: nil, nameFile: nil, resolvedDirectory: nil))
    }

    func testCollidingLabelsGetDirectorySuffix() {
        let labels = HwmonChipLabel.makeUnique([
            ("soc_thermal", "hwmon0"), ("gpu_thermal", "hwmon1"), ("soc_thermal", "hwmon2"),
        ])
        XCTAssertEqual(labels, ["soc_thermal_hwmon0", "gpu_thermal", "soc_thermal_hwmon2"])
    }
}

final class HwmonCollectorTests: XCTestCase {
    private func run(_ tree: HardwareTree, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ HwmonCollector(context: $0) }, roots: tree.roots, fileSystem: fileSystem)
    }

    /// Writes a chip with one sensor of each measured kind, in the kernel's units.
    private func makeChip(_ tree: HardwareTree, _ directory: String = "hwmon0", name: String = "tcpm") throws {
        let base = "class/hwmon/" + directory + "/"
        try tree.write(base + "name", name + "\n")
        try tree.write(base + "temp1_input", "45000\n")
        try tree.write(base + "temp1_label", "CPU\n")
        try tree.write(base + "in0_input", "800\n")
        try tree.write(base + "curr1_input", "1500\n")
        try tree.write(base + "power1_input", "2500000\n")
        try tree.write(base + "energy1_input", "3000000\n")
        try tree.write(base + "humidity1_input", "450000\n")
        try tree.write(base + "fan1_input", "1200\n")
        try tree.write(base + "pwm1", "128\n")
    }

    func testConvertsUnits() throws {
        let tree = try HardwareTree()
        try makeChip(tree)

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"node_hwmon_temp_celsius{chip="tcpm",sensor="temp1"}"#], 45)
        XCTAssertEqual(values[#"node_hwmon_in_volts{chip="tcpm",sensor="in0"}"#], 0.8)
        XCTAssertEqual(values[#"node_hwmon_curr_amps{chip="tcpm",sensor="curr1"}"#], 1.5)
        XCTAssertEqual(values[#"node_hwmon_power_watt{chip="tcpm",sensor="power1"}"#], 2.5)
        XCTAssertEqual(values[#"node_hwmon_energy_joule_total{chip="tcpm",sensor="energy1"}"#], 3)
        XCTAssertEqual(values[#"node_hwmon_humidity{chip="tcpm",sensor="humidity1"}"#], 0.45)
        XCTAssertEqual(values[#"node_hwmon_fan_rpm{chip="tcpm",sensor="fan1"}"#], 1200)
        XCTAssertEqual(values[#"node_hwmon_pwm{chip="tcpm",sensor="pwm1"}"#], 128)
        XCTAssertEqual(values[#"node_hwmon_sensor_label{chip="tcpm",label="CPU",sensor="temp1"}"#], 1)
        XCTAssertEqual(values[#"node_hwmon_chip_names{chip="tcpm",chip_name="tcpm"}"#], 1)
        XCTAssertEqual(values.count, 10)
    }

    func testDescriptorsCarryWindowUnits() throws {
        let tree = try HardwareTree()
        try makeChip(tree)

        let sink = try run(tree)
        let units = Dictionary(sink.samples.map { ($0.descriptor.name, $0.descriptor.windowUnit) }) { first, _ in first }

        XCTAssertEqual(units["node_hwmon_temp_celsius"], "celsius")
        XCTAssertEqual(units["node_hwmon_power_watt"], "watts")
        XCTAssertEqual(units["node_hwmon_in_volts"], .some(nil))
    }

    func testCollidingChipsStayApart() throws {
        let tree = try HardwareTree()
        try makeChip(tree, "hwmon0", name: "soc_thermal")
        try makeChip(tree, "hwmon1", name: "soc_thermal")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"node_hwmon_temp_celsius{chip="soc_thermal_hwmon0",sensor="temp1"}"#], 45)
        XCTAssertEqual(values[#"node_hwmon_temp_celsius{chip="soc_thermal_hwmon1",sensor="temp1"}"#], 45)
        XCTAssertEqual(values[#"node_hwmon_chip_names{chip="soc_thermal_hwmon1",chip_name="soc_thermal"}"#], 1)
    }

    func testDeviceDirectoryOverridesAndNamesChip() throws {
        let tree = try HardwareTree()
        try tree.write("devices/platform/applesmc.768/fan1_input", "2000\n")
        try tree.makeDirectory("devices/platform/applesmc.768/power")
        try tree.write("devices/platform/applesmc.768/hwmon/hwmon2/fan1_input", "1\n")
        try tree.link("devices/platform/applesmc.768/hwmon/hwmon2/device", to: "../../../applesmc.768")
        try tree.link("class/hwmon/hwmon2", to: "../../devices/platform/applesmc.768/hwmon/hwmon2")

        let sink = try run(tree)
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(values, [#"node_hwmon_fan_rpm{chip="platform_applesmc_768",sensor="fan1"}"#: 2000])
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [], "the power/ directory is not an attribute")
    }

    func testFailedDeviceFileKeepsOwnValue() throws {
        let tree = try HardwareTree()
        try tree.write("devices/platform/applesmc.768/fan1_input", "2000\n")
        try tree.write("devices/platform/applesmc.768/fan1_min", "500\n")
        try tree.write("devices/platform/applesmc.768/hwmon/hwmon2/fan1_input", "1000\n")
        try tree.write("devices/platform/applesmc.768/hwmon/hwmon2/fan1_min", "1\n")
        try tree.link("devices/platform/applesmc.768/hwmon/hwmon2/device", to: "../../../applesmc.768")
        try tree.link("class/hwmon/hwmon2", to: "../../devices/platform/applesmc.768/hwmon/hwmon2")
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("class/hwmon/hwmon2/device/fan1_input"))

        let sink = try run(tree, fileSystem: fileSystem)
        let values = HardwareHarness.values(sink)

        XCTAssertEqual(values[#"node_hwmon_fan_rpm{chip="platform_applesmc_768",sensor="fan1"}"#], 1000)
        XCTAssertEqual(values[#"node_hwmon_fan_min_rpm{chip="platform_applesmc_768",sensor="fan1"}"#], 500)
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testMissingClassDirectoryAddsNothing() throws {
        let tree = try HardwareTree()

        let sink = try run(tree)

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testEmptyValueIsOmittedAndRecorded() throws {
        let tree = try HardwareTree()
        try makeChip(tree)
        try tree.write("class/hwmon/hwmon0/temp1_input", "")

        let sink = try run(tree)
        let values = HardwareHarness.values(sink)

        XCTAssertNil(values[#"node_hwmon_temp_celsius{chip="tcpm",sensor="temp1"}"#])
        XCTAssertEqual(values[#"node_hwmon_in_volts{chip="tcpm",sensor="in0"}"#], 0.8)
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/hwmon/hwmon0/temp1_input")])
        XCTAssertTrue(sink.errors.first is ParseError)
    }

    func testGarbageValueIsOmittedAndRecorded() throws {
        let tree = try HardwareTree()
        try makeChip(tree)
        try tree.write("class/hwmon/hwmon0/fan1_input", "not a number\n")

        let sink = try run(tree)

        XCTAssertNil(HardwareHarness.values(sink)[#"node_hwmon_fan_rpm{chip="tcpm",sensor="fan1"}"#])
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/hwmon/hwmon0/fan1_input")])
    }

    func testInvalidUTF8LabelBecomesOneReplacement() throws {
        let tree = try HardwareTree()
        try makeChip(tree)
        try tree.write("class/hwmon/hwmon0/temp1_label", bytes: Array("CPU".utf8) + [0xC0, 0xC0, 0x0A])

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values["node_hwmon_sensor_label{chip=\"tcpm\",label=\"CPU\u{FFFD}\",sensor=\"temp1\"}"], 1)
    }

    func testLabelKeepsInnerAndTrailingSpaces() throws {
        let tree = try HardwareTree()
        try makeChip(tree)
        try tree.write("class/hwmon/hwmon0/temp1_label", "Left side  \n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"node_hwmon_sensor_label{chip="tcpm",label="Left side  ",sensor="temp1"}"#], 1)
    }

    func testReadErrorsOmitOnlyThatSeries() throws {
        for code in [EIO, EAGAIN, ENODATA, EINVAL, ENOENT] {
            let tree = try HardwareTree()
            try makeChip(tree)
            let fileSystem = FaultInjectingFileSystem()
            fileSystem.inject(code, at: tree.path("class/hwmon/hwmon0/temp1_input"))

            let sink = try run(tree, fileSystem: fileSystem)
            let values = HardwareHarness.values(sink)

            XCTAssertNil(values[#"node_hwmon_temp_celsius{chip="tcpm",sensor="temp1"}"#], Errno.name(of: code))
            XCTAssertEqual(values[#"node_hwmon_fan_rpm{chip="tcpm",sensor="fan1"}"#], 1200, Errno.name(of: code))
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code], Errno.name(of: code))
        }
    }

    func testWriteOnlyAttributeIsSkippedSilently() throws {
        let tree = try HardwareTree()
        try makeChip(tree)
        try tree.write("class/hwmon/hwmon0/temp1_reset_history", "")
        let path = tree.path("class/hwmon/hwmon0/temp1_reset_history")
        try FileManager.default.setAttributes([.posixPermissions: 0o200], ofItemAtPath: path)
        // Root can read a mode-0200 regular file, so the kernel's EIO for a write-only sysfs
        // attribute is injected.
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: path)

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(HardwareHarness.errorCodes(sink), [])
        XCTAssertNotNil(HardwareHarness.values(sink)[#"node_hwmon_temp_celsius{chip="tcpm",sensor="temp1"}"#])
    }

    func testPermissionDeniedIsUnavailableNotError() throws {
        let tree = try HardwareTree()
        try makeChip(tree)
        let fileSystem = FaultInjectingFileSystem()
        let path = tree.path("class/hwmon/hwmon0/power1_input")
        fileSystem.inject(EACCES, at: path)

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertNil(HardwareHarness.values(sink)[#"node_hwmon_power_watt{chip="tcpm",sensor="power1"}"#])
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertEqual(sink.unavailableSources.map(\.path), [path])
    }

    func testUnlistableClassDirectoryThrows() throws {
        let tree = try HardwareTree()
        try makeChip(tree)
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("class/hwmon"))

        XCTAssertThrowsError(try run(tree, fileSystem: fileSystem)) { error in
            XCTAssertEqual((error as? FileError)?.code, EIO)
        }
    }

    func testUnreadableNameSkipsChip() throws {
        let tree = try HardwareTree()
        try makeChip(tree)
        try makeChip(tree, "hwmon1", name: "gpu_thermal")
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("class/hwmon/hwmon0/name"))

        let sink = try run(tree, fileSystem: fileSystem)
        let values = HardwareHarness.values(sink)

        // Falling back to `hwmon0` for one sample would start series that vanish on the next.
        XCTAssertFalse(values.keys.contains { $0.contains(#"chip="hwmon0""#) })
        XCTAssertFalse(values.keys.contains { $0.contains(#"chip="tcpm""#) })
        XCTAssertEqual(values[#"node_hwmon_temp_celsius{chip="gpu_thermal",sensor="temp1"}"#], 45)
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testUnreadableNameKeepsLastName() throws {
        let tree = try HardwareTree()
        try makeChip(tree, "hwmon0", name: "soc_thermal")
        try makeChip(tree, "hwmon1", name: "soc_thermal")
        let fileSystem = FaultInjectingFileSystem()
        let collector = HwmonCollector(context: HardwareHarness.context(tree.roots, fileSystem: fileSystem))
        var first = MetricSink()
        try collector.update(into: &first)

        fileSystem.inject(EAGAIN, at: tree.path("class/hwmon/hwmon0/name"))
        var second = MetricSink()
        try collector.update(into: &second)

        // Both chips keep their labels, so neither series set changes for one failed read.
        XCTAssertEqual(HardwareHarness.values(second), HardwareHarness.values(first))
        XCTAssertEqual(HardwareHarness.errorCodes(second), [EAGAIN])
    }

    func testUnreadableNameKeepsDeviceLabel() throws {
        let tree = try HardwareTree()
        try tree.write("devices/platform/fan/hwmon/hwmon0/name", "pwmfan\n")
        try tree.write("devices/platform/fan/hwmon/hwmon0/fan1_input", "2100\n")
        try tree.link("devices/platform/fan/hwmon/hwmon0/device", to: "../../../fan")
        try tree.link("class/hwmon/hwmon0", to: "../../devices/platform/fan/hwmon/hwmon0")
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("class/hwmon/hwmon0/name"))

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(HardwareHarness.values(sink), [#"node_hwmon_fan_rpm{chip="platform_fan",sensor="fan1"}"#: 2100])
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testFrequencyUsesCleanedLabel() throws {
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "amdgpu\n")
        try tree.write("class/hwmon/hwmon0/freq1_input", "1800000000\n")
        try tree.write("class/hwmon/hwmon0/freq1_label", "sclk\n")
        try tree.write("class/hwmon/hwmon0/freq2_input", "1000000000\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"node_hwmon_freq_freq_mhz{chip="amdgpu",sensor="sclk"}"#], 1800)
        XCTAssertEqual(values.keys.filter { $0.hasPrefix("node_hwmon_freq") }.count, 1, "freq2 has no label")
    }

    func testBeepEnableIsZeroOrOne() throws {
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "nct6775\n")
        try tree.write("class/hwmon/hwmon0/beep_enable", "1\n")
        try tree.write("class/hwmon/hwmon1/name", "it87\n")
        try tree.write("class/hwmon/hwmon1/beep_enable", "7\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"node_hwmon_beep_enabled{chip="nct6775",sensor="beep_enable0"}"#], 1)
        XCTAssertEqual(values[#"node_hwmon_beep_enabled{chip="it87",sensor="beep_enable0"}"#], 0)
    }
}

final class HwmonNameMapTests: XCTestCase {
    func testSubscriptKeepsNameOrder() {
        var map: HwmonNameMap<Int> = ["temp2": 2, "temp10": 10]
        map["temp1"] = 1
        map["fan1"] = 0

        XCTAssertEqual(map.keys, ["fan1", "temp1", "temp10", "temp2"])
        XCTAssertEqual(map["temp10"], 10)
        XCTAssertNil(map["temp3"])
    }

    func testSettingNilRemoves() {
        var map: HwmonNameMap<Int> = ["a": 1, "b": 2, "c": 3]
        map["b"] = nil
        map["d"] = nil

        XCTAssertEqual(map.keys, ["a", "c"])
        XCTAssertEqual(map.values, [1, 3])
    }

    func testAppendOrReplaceLast() {
        var map = HwmonNameMap<Int>(minimumCapacity: 2)
        map.append("", 1)
        map.appendOrReplaceLast("input", 2)
        map.appendOrReplaceLast("input", 3)

        XCTAssertEqual(map.keys, ["", "input"])
        XCTAssertEqual(map.values, [1, 3])
        XCTAssertEqual(map.first?.key, "")
    }

    func testFilterKeepsOrder() {
        let map: HwmonNameMap<Int> = ["c": 3, "a": 1, "b": 2]

        let odd = map.filter { $0.value % 2 == 1 }

        XCTAssertEqual(odd.keys, ["a", "c"])
        XCTAssertEqual(odd["c"], 3)
    }
}

final class HwmonUniqueLabelMemoTests: XCTestCase {
    func testFollowsChangedInput() {
        var memo = HwmonUniqueLabelMemo()

        XCTAssertEqual(memo.makeUnique(labels: ["tcpm", "nvme"], directoryNames: ["hwmon0", "hwmon1"]), ["tcpm", "nvme"])
        XCTAssertEqual(memo.makeUnique(labels: ["tcpm", "nvme"], directoryNames: ["hwmon0", "hwmon1"]), ["tcpm", "nvme"])
        XCTAssertEqual(memo.makeUnique(labels: ["tcpm", "tcpm"], directoryNames: ["hwmon0", "hwmon1"]),
                       ["tcpm_hwmon0", "tcpm_hwmon1"])
        XCTAssertEqual(memo.makeUnique(labels: ["tcpm"], directoryNames: ["hwmon1"]), ["tcpm"])
    }
}

final class HwmonChipStateTests: XCTestCase {
    func testLabelFollowsChangedDevice() {
        let state = HwmonChipState<HwmonChipPlan>(classPath: "/sys/class/hwmon", directoryName: "hwmon0")
        var memo = HwmonChipLabelMemo()

        XCTAssertEqual(state.namePath, "/sys/class/hwmon/hwmon0/name")
        XCTAssertEqual(state.label(resolvedDevice: "/sys/devices/platform/coretemp.0", nameFile: "coretemp",
                                   resolvedDirectory: nil, memo: &memo), "platform_coretemp_0")
        XCTAssertEqual(state.label(resolvedDevice: nil, nameFile: "coretemp", resolvedDirectory: nil, memo: &memo),
                       "coretemp")
    }

    func testStatesKeepListedChips() {
        var states = HwmonChipStates<HwmonChipPlan>(classPath: "/sys/class/hwmon")
        let first = states.states(for: ["hwmon0", "hwmon1"])
        first[1].knownName = "nvme"

        let second = states.states(for: ["hwmon1", "hwmon2"])

        XCTAssertTrue(second[0] === first[1])
        XCTAssertEqual(second[0].knownName, "nvme")
        XCTAssertNil(second[1].knownName)
        XCTAssertEqual(second[1].directory, "/sys/class/hwmon/hwmon2")
    }
}
