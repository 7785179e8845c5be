@testable import EmberCollectors
import EmberCore
import Foundation
import XCTest

/// The hwmon collector keeps each directory's parsed file names between samples. These tests
/// change the tree between two runs of one collector and check that the second run reports the change.
final class HwmonCacheInvalidationTests: XCTestCase {
    private func collect(_ collector: HwmonCollector) throws -> MetricSink {
        var sink = MetricSink()
        try collector.update(into: &sink)
        return sink
    }

    private func makeCollector(_ tree: HardwareTree) -> HwmonCollector {
        let context = HardwareHarness.context(tree.roots)
        return HwmonCollector(source: SysfsHwmonSource(reader: context.reader, logger: context.logger))
    }

    func testNewAttributeFileAppears() throws {
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "tcpm\n")
        try tree.write("class/hwmon/hwmon0/temp1_input", "45000\n")
        let collector = makeCollector(tree)
        _ = try collect(collector)

        try tree.write("class/hwmon/hwmon0/fan1_input", "1200\n")
        let values = HardwareHarness.values(try collect(collector))

        XCTAssertEqual(values[#"node_hwmon_fan_rpm{chip="tcpm",sensor="fan1"}"#], 1200)
        XCTAssertEqual(values[#"node_hwmon_temp_celsius{chip="tcpm",sensor="temp1"}"#], 45)
    }

    func testRemovedAttributeFileGoes() throws {
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "tcpm\n")
        try tree.write("class/hwmon/hwmon0/temp1_input", "45000\n")
        try tree.write("class/hwmon/hwmon0/fan1_input", "1200\n")
        let collector = makeCollector(tree)
        _ = try collect(collector)

        try FileManager.default.removeItem(atPath: tree.path("class/hwmon/hwmon0/fan1_input"))
        let sink = try collect(collector)
        let values = HardwareHarness.values(sink)

        XCTAssertNil(values[#"node_hwmon_fan_rpm{chip="tcpm",sensor="fan1"}"#])
        XCTAssertEqual(values[#"node_hwmon_temp_celsius{chip="tcpm",sensor="temp1"}"#], 45)
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [], "a removed file is not read")
    }

    func testChangedValueIsReadAgain() throws {
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "tcpm\n")
        try tree.write("class/hwmon/hwmon0/temp1_input", "45000\n")
        let collector = makeCollector(tree)
        _ = try collect(collector)

        try tree.write("class/hwmon/hwmon0/temp1_input", "47000\n")
        let values = HardwareHarness.values(try collect(collector))

        XCTAssertEqual(values[#"node_hwmon_temp_celsius{chip="tcpm",sensor="temp1"}"#], 47)
    }

    func testReplacedChipGetsNewFiles() throws {
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "tcpm\n")
        try tree.write("class/hwmon/hwmon0/temp1_input", "45000\n")
        let collector = makeCollector(tree)
        _ = try collect(collector)

        try FileManager.default.removeItem(atPath: tree.path("class/hwmon/hwmon0"))
        _ = try collect(collector)
        try tree.write("class/hwmon/hwmon0/name", "ina226\n")
        try tree.write("class/hwmon/hwmon0/curr1_input", "1500\n")
        let values = HardwareHarness.values(try collect(collector))

        XCTAssertEqual(values[#"node_hwmon_curr_amps{chip="ina226",sensor="curr1"}"#], 1.5)
        XCTAssertNil(values[#"node_hwmon_temp_celsius{chip="tcpm",sensor="temp1"}"#])
        XCTAssertNil(values[#"node_hwmon_temp_celsius{chip="ina226",sensor="temp1"}"#])
    }

    func testFamilyMemoMatchesFamilies() {
        var memo = HwmonFamilyMemo()
        let cases: [(String, String, Bool)] = [
            ("temp", "input", false), ("temp", "input", true), ("temp", "", true), ("temp", "crit_alarm", false),
            ("fan", "input", false), ("power", "average", false), ("beep_enable", "", false), ("in", "label", false),
        ]
        for (type, property, hasBareValue) in cases {
            let expected = HwmonFamilies.family(sensorType: type, property: property, hasBareValue: hasBareValue)
            for _ in 0..<2 {
                let memoized = memo.family(sensorType: type, property: property, hasBareValue: hasBareValue)
                XCTAssertEqual(memoized?.family, expected, "\(type) \(property) \(hasBareValue)")
                XCTAssertEqual(memoized?.descriptor.name, expected?.name, "\(type) \(property) \(hasBareValue)")
            }
        }
    }

    func testNumberMatchesDoubleParser() {
        let cases = [
            "0", "-0", "007", "42000", "-40000", "999999999999999", "1000000000000000", "-999999999999999",
            "9223372036854775808", "+5", "1e3", "1.5", "0x10", "inf", "nan", "", "-", "--1", " 5", "5 ", "4é",
        ]
        for text in cases {
            let parsed = HwmonCollector.number(text)
            let expected = Double(text)
            XCTAssertEqual(parsed?.bitPattern, expected?.bitPattern, "\(text)")
            XCTAssertEqual(parsed == nil, expected == nil, "\(text)")
        }
    }

    func testChipLabelMemoMatchesDerive() {
        var memo = HwmonChipLabelMemo()
        let cases: [(String?, String?, String?)] = [
            ("/sys/devices/platform/coretemp.0", "coretemp", "/sys/devices/platform/coretemp.0/hwmon/hwmon1"),
            (nil, "coretemp", "/sys/class/hwmon/hwmon1"), (nil, nil, "/sys/class/hwmon/hwmon2"),
            (nil, "coretemp", "/sys/class/hwmon/hwmon3"), ("/", "___", nil), (nil, nil, nil),
        ]
        for (device, name, directory) in cases {
            let expected = HwmonChipLabel.derive(resolvedDevice: device, nameFile: name, resolvedDirectory: directory)
            for _ in 0..<2 {
                let memoized = memo.label(resolvedDevice: device, nameFile: name, resolvedDirectory: directory)
                XCTAssertEqual(memoized, expected, "\(String(describing: device)) \(String(describing: name))")
            }
        }
    }

    func testDevicePathLabelMatchesSplit() {
        let cases = [
            "/sys/devices/platform/coretemp.0", "/sys/devices/platform/coretemp.0/", "coretemp.0", "/", "",
            "//a//b//", "/sys/devices/pci0000:00/0000:00:1f.3/i2c-1/1-0040", "/sys/dévices/x",
            "/sys/devices/\u{301}/x", "/sys/devices/platform/___",
        ]
        for path in cases {
            let components = path.split(separator: "/")
            var expected: String?
            if let last = components.last, !cleanHwmonName(String(last)).isEmpty {
                let device = cleanHwmonName(String(last))
                let parent = components.count >= 2 ? cleanHwmonName(String(components[components.count - 2])) : ""
                expected = parent.isEmpty ? device : parent + "_" + device
            }
            XCTAssertEqual(HwmonChipLabel.fromDevicePath(path), expected, path)
        }
    }
}
