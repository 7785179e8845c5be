@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import Glibc
import XCTest

final class PowerCollectorMeasuredTests: XCTestCase {
    private let sensors = Fixtures.roots("power/sensors")

    func testCurrentSenseChipsAndBatteries() throws {
        let sink = try PowerHarness(roots: sensors).run()

        XCTAssertEqual(powerWatts(sink, "ina226/power1", "hwmon"), 7.68, "power1_input wins over in1 × curr1")
        XCTAssertEqual(powerWatts(sink, "ina3221/power1", "hwmon")!, 4.8, accuracy: 1e-12)  // 12000 mV × 400 mA
        XCTAssertEqual(powerWatts(sink, "ina3221/power2", "hwmon")!, 1.0, accuracy: 1e-12)  // 5000 mV × 200 mA
        XCTAssertEqual(powerWatts(sink, "ina3221/power3", "hwmon")!, 0.264, accuracy: 1e-12)  // 3300 mV × 80 mA
        XCTAssertEqual(powerWatts(sink, "BAT0", "power_supply"), 4.5)
        XCTAssertEqual(powerWatts(sink, "BAT1", "power_supply")!, 1.9, accuracy: 1e-12, "|3.8 V × −0.5 A|")
        XCTAssertNil(powerWatts(sink, "AC", "power_supply"), "a mains adapter without readings measures nothing")
        XCTAssertEqual(value(sink, "ember_power_undervoltage_alarm", ["chip": "rpi_volt"]), 1)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testShuntVoltagesAreNeverPower() throws {
        let sink = try PowerHarness(roots: sensors).run()
        let domains = sink.samples.filter { $0.descriptor.name == "ember_power_watts" }.map { $0.labelValues[0] }

        XCTAssertFalse(domains.contains { $0.hasSuffix("power4") || $0.hasSuffix("power0") }, "\(domains)")
        XCTAssertEqual(domains.filter { $0.hasPrefix("ina226/") }, ["ina226/power1"])
    }

    func testSameNamedChipsGetUniqueDomains() throws {
        let tree = try HardwareTree()
        for chip in ["hwmon0", "hwmon1"] {
            try tree.write("class/hwmon/\(chip)/name", "ina226\n")
            try tree.write("class/hwmon/\(chip)/power1_input", "1000000\n")
        }

        let sink = try PowerHarness(roots: tree.roots).run()

        XCTAssertEqual(powerWatts(sink, "ina226_hwmon0/power1", "hwmon"), 1)
        XCTAssertEqual(powerWatts(sink, "ina226_hwmon1/power1", "hwmon"), 1)
    }

    func testFailedNameKeepsDomains() throws {
        let tree = try HardwareTree()
        for chip in ["hwmon0", "hwmon1"] {
            try tree.write("class/hwmon/\(chip)/name", "ina226\n")
            try tree.write("class/hwmon/\(chip)/power1_input", "1000000\n")
        }
        let harness = try PowerHarness(roots: tree.roots)
        _ = try harness.run()

        harness.fileSystem.faults[tree.path("class/hwmon/hwmon0/name")] = EAGAIN
        let sink = try harness.run()

        // Without the last name, hwmon1 would lose its suffix and start a new domain.
        XCTAssertEqual(powerWatts(sink, "ina226_hwmon0/power1", "hwmon"), 1)
        XCTAssertEqual(powerWatts(sink, "ina226_hwmon1/power1", "hwmon"), 1)
        XCTAssertNil(powerWatts(sink, "ina226/power1", "hwmon"))
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EAGAIN])
    }

    func testChipFilesChangeBetweenRuns() throws {
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "ina226\n")
        try tree.write("class/hwmon/hwmon0/power1_input", "1000000\n")
        let harness = try PowerHarness(roots: tree.roots)
        _ = try harness.run()

        try tree.write("class/hwmon/hwmon0/power2_input", "2000000\n")
        let added = try harness.run()
        XCTAssertEqual(powerWatts(added, "ina226/power1", "hwmon"), 1)
        XCTAssertEqual(powerWatts(added, "ina226/power2", "hwmon"), 2)

        try FileManager.default.removeItem(atPath: tree.path("class/hwmon/hwmon0/power1_input"))
        let removed = try harness.run()
        XCTAssertNil(powerWatts(removed, "ina226/power1", "hwmon"))
        XCTAssertEqual(powerWatts(removed, "ina226/power2", "hwmon"), 2)
        XCTAssertTrue(removed.errors.isEmpty, "\(removed.errors)")
    }

    func testAttributesInDeviceDirectory() throws {
        // Drivers on the older hwmon API, such as acpi_power_meter, keep attributes in device/.
        let tree = try HardwareTree()
        try tree.write("devices/platform/power_meter.0/power1_average", "25000000\n")
        try tree.write("devices/platform/power_meter.0/energy1_input", "1000000\n")
        try tree.write("class/hwmon/hwmon0/name", "power_meter\n")
        try tree.link("class/hwmon/hwmon0/device", to: tree.path("devices/platform/power_meter.0"))

        let sink = try PowerHarness(roots: tree.roots).run()

        XCTAssertEqual(powerWatts(sink, "platform_power_meter_0/power1", "hwmon"), 25)
        XCTAssertEqual(
            value(sink, "ember_energy_joules_total", ["domain": "platform_power_meter_0/energy1", "source": "hwmon"]),
            0, "a counter's first reading")
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testNegativePowerIsMagnitude() throws {
        // A bidirectional meter reads negative power while current flows backwards.
        let tree = try HardwareTree()
        try tree.write("class/hwmon/hwmon0/name", "ina238\n")
        try tree.write("class/hwmon/hwmon0/power1_input", "-2500000\n")
        let harness = try PowerHarness(roots: tree.roots)

        let sink = try harness.runTwice { _ in }

        XCTAssertEqual(powerWatts(sink, "ina238/power1", "hwmon"), 2.5)
        XCTAssertEqual(value(sink, "ember_energy_joules_total", ["domain": "ina238/power1"]), 2.5, "2.5 W for 1 s")
    }

    func testDeviceNameFileKeepsHwmonName() throws {
        // An I2C client directory has a `name` file of its own, but the rails follow hwmonN/name.
        let tree = try HardwareTree()
        try tree.write("devices/i2c-1/1-0040/name", "acme-monitor\n")
        try tree.write("class/hwmon/hwmon0/name", "ina3221\n")
        try tree.write("class/hwmon/hwmon0/in1_input", "12000\n")
        try tree.write("class/hwmon/hwmon0/curr1_input", "500\n")
        try tree.link("class/hwmon/hwmon0/device", to: tree.path("devices/i2c-1/1-0040"))

        let sink = try PowerHarness(roots: tree.roots).run()

        // 12000 mV × 500 mA = 6 W.
        XCTAssertEqual(powerWatts(sink, "i2c_1_1_0040/power1", "hwmon")!, 6, accuracy: 1e-12)
    }

    func testEnergyCountersGivePowerFromSecondRun() throws {
        let harness = try PowerHarness(roots: sensors)
        let rapl = sensors.sys("class/powercap/intel-rapl:0/energy_uj")
        let hwmon = sensors.sys("class/hwmon/hwmon3/energy1_input")

        let first = try harness.run()
        let second = try harness.runTwice(seconds: 2) { files in
            files.files[rapl] = "1000000\n"  // wrapped: 328850 + 1000000 µJ
            files.files[hwmon] = "133456789\n"  // 10 J more
        }

        XCTAssertNil(powerWatts(first, "package-0", "rapl"), "one reading of a counter gives no power")
        XCTAssertEqual(value(first, "ember_energy_joules_total", ["domain": "package-0", "source": "rapl"]), 0)
        // Over 2 s: 1.32885 J / 2 s and 10 J / 2 s.
        XCTAssertEqual(powerWatts(second, "package-0", "rapl")!, 0.664425, accuracy: 1e-9)
        XCTAssertEqual(powerWatts(second, "amd_energy/energy1", "hwmon")!, 5, accuracy: 1e-9)
        XCTAssertEqual(
            value(second, "ember_energy_joules_total", ["domain": "package-0", "source": "rapl"])!, 1.32885,
            accuracy: 1e-9)
    }

    func testCounterDecreaseWithoutRangeIsReset() throws {
        let harness = try PowerHarness(roots: sensors)
        let zone = sensors.sys("class/powercap/intel-rapl:0/")
        harness.fileSystem.faults[zone + "max_energy_range_uj"] = ENOENT

        let reset = try harness.runTwice { files in
            files.files[zone + "energy_uj"] = "1000000\n"
        }
        harness.clock.advance(seconds: 1)
        harness.fileSystem.files[zone + "energy_uj"] = "1500000\n"
        let resumed = try harness.run()

        let series = ["domain": "package-0", "source": "rapl"]
        XCTAssertNil(powerWatts(reset, "package-0", "rapl"), "a reset gives no power, never a negative one")
        XCTAssertEqual(value(reset, "ember_energy_joules_total", series), 0, "a reset adds nothing")
        XCTAssertEqual(powerWatts(resumed, "package-0", "rapl")!, 0.5, accuracy: 1e-9, "0.5 J over 1 s")
        XCTAssertEqual(value(resumed, "ember_energy_joules_total", series)!, 0.5, accuracy: 1e-9)
    }

    func testPowerIsIntegratedByTrapezoid() throws {
        let harness = try PowerHarness(roots: sensors)
        let path = sensors.sys("class/power_supply/BAT0/power_now")
        _ = try harness.run()
        harness.clock.advance(seconds: 2)
        harness.fileSystem.files[path] = "6500000\n"

        let sink = try harness.run()

        // (4.5 W + 6.5 W) / 2 × 2 s = 11 J.
        XCTAssertEqual(value(sink, "ember_energy_joules_total", ["domain": "BAT0", "source": "power_supply"]), 11)
    }

    func testFailedReadOmitsSeriesAndEndsSegment() throws {
        let harness = try PowerHarness(roots: sensors)
        let path = sensors.sys("class/power_supply/BAT0/power_now")
        _ = try harness.run()
        harness.clock.advance(seconds: 1)
        harness.fileSystem.faults[path] = EIO

        let failed = try harness.run()
        harness.clock.advance(seconds: 1)
        harness.fileSystem.faults[path] = nil
        harness.fileSystem.files[path] = "6500000\n"
        let recovered = try harness.run()

        XCTAssertNil(powerWatts(failed, "BAT0", "power_supply"))
        XCTAssertNil(value(failed, "ember_energy_joules_total", ["domain": "BAT0", "source": "power_supply"]))
        XCTAssertEqual(HardwareHarness.errorCodes(failed), [EIO])
        XCTAssertEqual(powerWatts(recovered, "BAT0", "power_supply"), 6.5)
        XCTAssertEqual(
            value(recovered, "ember_energy_joules_total", ["domain": "BAT0", "source": "power_supply"]), 0,
            "the 2 s around the failed read are not integrated")
    }

    func testEachReadErrorOmitsOnlyItsSeries() throws {
        let path = sensors.sys("class/hwmon/hwmon0/power1_input")
        for code in [EAGAIN, ENODATA, EINVAL, EIO] {
            let harness = try PowerHarness(roots: sensors)
            harness.fileSystem.faults[path] = code

            let sink = try harness.run()

            XCTAssertNil(powerWatts(sink, "ina226/power1", "hwmon"), Errno.name(of: code))
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code])
            XCTAssertEqual(powerWatts(sink, "BAT0", "power_supply"), 4.5, "other series stay")
        }
    }

    func testUnlistablePowercapCostsOnlyRapl() throws {
        let harness = try PowerHarness(roots: sensors)
        harness.fileSystem.faults[sensors.sys("class/powercap")] = EIO

        let sink = try harness.run()

        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
        XCTAssertNil(value(sink, "ember_energy_joules_total", ["source": "rapl"]))
        XCTAssertEqual(powerWatts(sink, "BAT0", "power_supply"), 4.5)
    }

    func testPermissionDeniedIsUnavailableSource() throws {
        let path = sensors.sys("class/hwmon/hwmon0/power1_input")
        let harness = try PowerHarness(roots: sensors)
        harness.fileSystem.faults[path] = EACCES

        let sink = try harness.run()

        XCTAssertNil(powerWatts(sink, "ina226/power1", "hwmon"))
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertEqual(sink.unavailableSources.map(\.path), [path])
    }

    func testGarbageAttributeIsParseError() throws {
        for content in ["", "watts\n", "4.5e6\n"] {
            let harness = try PowerHarness(roots: sensors)
            harness.fileSystem.files[sensors.sys("class/power_supply/BAT0/power_now")] = content

            let sink = try harness.run()

            XCTAssertNil(powerWatts(sink, "BAT0", "power_supply"), content)
            let path = sensors.sys("class/power_supply/BAT0/power_now")
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [path], content)
        }
    }

    func testOrangePi5PlusTypeCContract() throws {
        for tree in ["rk3588/opi5plus-v5.10", "rk3588/opi5plus-mainline"] {
            let sink = try PowerHarness(roots: Fixtures.roots(tree)).run()
            let supply = ["power_supply": "tcpm-source-psy-6-0022"]

            XCTAssertEqual(value(sink, "ember_usb_pd_contract_volts", supply), 0, tree)
            XCTAssertEqual(value(sink, "ember_usb_pd_contract_amperes", supply), 0, tree)
            XCTAssertEqual(value(sink, "ember_usb_pd_contract_info", supply.merging(["usb_type": "C"]) { $1 }), 1, tree)
            let measured = sink.samples.filter { sample in
                sample.descriptor.name == "ember_power_watts" && sample.labelValues[1] != "model"
            }
            XCTAssertTrue(measured.isEmpty, "\(tree) has no power sensor")
        }
    }

    func testUSBChargerWithoutPDIsMeasured() throws {
        let tree = try HardwareTree()
        try tree.write("class/power_supply/axp20x-usb/type", "USB\n")
        try tree.write("class/power_supply/axp20x-usb/usb_type", "[DCP] SDP CDP\n")
        try tree.write("class/power_supply/axp20x-usb/voltage_now", "5000000\n")
        try tree.write("class/power_supply/axp20x-usb/current_now", "900000\n")
        try tree.write("class/power_supply/gpio-charger/type", "USB\n")
        try tree.write("class/power_supply/gpio-charger/online", "1\n")

        let sink = try PowerHarness(roots: tree.roots).run()

        // 5 V × 0.9 A.
        XCTAssertEqual(powerWatts(sink, "axp20x-usb", "power_supply")!, 4.5, accuracy: 1e-12)
        XCTAssertNil(value(sink, "ember_usb_pd_contract_volts", ["power_supply": "axp20x-usb"]))
        XCTAssertNil(powerWatts(sink, "gpio-charger", "power_supply"), "a charger that reports only online")
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testPowerDeliveryPortsAreContracts() throws {
        let tree = try HardwareTree()
        let ports = [
            ("ucsi-source-psy-USBC000:001", "[C] PD PD_PPS"), ("cros-usbpd-charger-0", "SDP DCP C [PD_DRP]"),
        ]
        for (supply, usbTypes) in ports {
            try tree.write("class/power_supply/\(supply)/type", "USB\n")
            try tree.write("class/power_supply/\(supply)/usb_type", usbTypes + "\n")
            try tree.write("class/power_supply/\(supply)/voltage_now", "15000000\n")
            try tree.write("class/power_supply/\(supply)/current_now", "3000000\n")
        }

        let sink = try PowerHarness(roots: tree.roots).run()

        for (supply, _) in ports {
            XCTAssertNil(powerWatts(sink, supply, "power_supply"), supply)
            XCTAssertEqual(value(sink, "ember_usb_pd_contract_volts", ["power_supply": supply]), 15, supply)
            XCTAssertEqual(value(sink, "ember_usb_pd_contract_amperes", ["power_supply": supply]), 3, supply)
        }
    }

    func testRock5BContractAndInputVoltage() throws {
        let roots = Fixtures.roots("power/rock5b")
        let options = ["collector.power.iio-input": "iio:device0/in_voltage6", "collector.power.iio-divider": "13.2"]

        let sink = try PowerHarness(roots: roots, options: options).run()
        let supply = ["power_supply": "tcpm-source-psy-4-0022"]

        XCTAssertEqual(value(sink, "ember_usb_pd_contract_volts", supply), 20)
        XCTAssertEqual(value(sink, "ember_usb_pd_contract_amperes", supply), 2.25)
        XCTAssertEqual(value(sink, "ember_usb_pd_contract_info", supply.merging(["usb_type": "PD"]) { $1 }), 1)
        XCTAssertNil(powerWatts(sink, "tcpm-source-psy-4-0022", "power_supply"), "a contract is never measured power")
        // 2067 × 0.439453125 mV / 1000 × 13.2 = 11.9903… V.
        XCTAssertEqual(value(sink, "ember_board_input_volts", ["channel": "iio:device0/in_voltage6"])!,
                       2067 * 0.439453125 / 1000 * 13.2, accuracy: 1e-12)
        XCTAssertTrue(sink.errors.isEmpty, "\(sink.errors)")
    }

    func testIIOChannelOffsetAndOwnScale() throws {
        let tree = try HardwareTree()
        try tree.write("bus/iio/devices/iio:device1/in_voltage2_raw", "1000\n")
        try tree.write("bus/iio/devices/iio:device1/in_voltage2_offset", "-10\n")
        try tree.write("bus/iio/devices/iio:device1/in_voltage2_scale", "0.5\n")
        try tree.write("bus/iio/devices/iio:device1/in_voltage_scale", "7\n")
        let options = ["collector.power.iio-input": "iio:device1/in_voltage2", "collector.power.iio-divider": "2"]

        let sink = try PowerHarness(roots: tree.roots, options: options).run()

        // (1000 − 10) counts × 0.5 mV (the channel's own scale wins) / 1000 × 2 = 0.99 V.
        XCTAssertEqual(value(sink, "ember_board_input_volts", ["channel": "iio:device1/in_voltage2"])!, 0.99,
                       accuracy: 1e-12)
    }

    func testGarbageIIOReadingIsParseError() throws {
        let roots = Fixtures.roots("power/rock5b")
        let harness = try PowerHarness(roots: roots, options: ["collector.power.iio-input": "iio:device0/in_voltage6"])
        let path = roots.sys("bus/iio/devices/iio:device0/in_voltage6_raw")
        harness.fileSystem.files[path] = "busy\n"

        let sink = try harness.run()

        XCTAssertNil(value(sink, "ember_board_input_volts"))
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [path])
    }

    func testMissingIIOChannelIsError() throws {
        let roots = Fixtures.roots("power/rock5b")
        let options = ["collector.power.iio-input": "iio:device0/in_voltage9"]

        let sink = try PowerHarness(roots: roots, options: options).run()

        XCTAssertNil(value(sink, "ember_board_input_volts"))
        XCTAssertEqual(HardwareHarness.errorPaths(sink), [roots.sys("bus/iio/devices/iio:device0/in_voltage9_raw")])
    }

    func testInvalidOptionsAreRejected() {
        let cases: [[String: String]] = [
            ["collector.power.iio-input": "in_voltage6"],
            ["collector.power.iio-divider": "-2"],
            ["collector.power.fit-rate": "1.5"],
            ["collector.power.domain-static-watts": "cpu_policy0"],
            ["collector.power.domain-static-watts": "=0.1"],
            ["collector.power.domain-static-watts": "gpu=-1"],
            ["collector.power.carbon-intensity": "lots"],
            ["collector.power.carbon-intensity": "400", "collector.power.carbon-intensity-file": "/tmp/x"],
        ]
        for options in cases {
            XCTAssertThrowsError(try PowerHarness(roots: sensors, options: options), "\(options)") { error in
                XCTAssertTrue("\(error)".contains("--collector.power."), "\(error)")
            }
        }
    }
}
