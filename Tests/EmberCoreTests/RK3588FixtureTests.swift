import EmberCore
import EmberTestSupport
import XCTest

/// Checks the generated Orange Pi 5 Plus trees (`Tests/Fixtures/rk3588/generate.py`) through the
/// same reader the collectors use, so a broken regeneration fails here before it misleads a
/// collector test.
final class RK3588FixtureTests: XCTestCase {
    static let variants = ["opi5plus-v5.10", "opi5plus-v6.1", "opi5plus-mainline"]

    func reader(_ variant: String) -> SourceReader {
        SourceReader(roots: Fixtures.roots("rk3588/" + variant))
    }

    func testZoneTypesPerKernel() throws {
        let vendor = ["soc-thermal", "bigcore0-thermal", "bigcore1-thermal", "littlecore-thermal",
                      "center-thermal", "gpu-thermal", "npu-thermal"]
        let mainline = ["package-thermal", "bigcore0-thermal", "bigcore2-thermal", "littlecore-thermal",
                        "center-thermal", "gpu-thermal", "npu-thermal"]
        let expected = ["opi5plus-v5.10": vendor, "opi5plus-v6.1": vendor, "opi5plus-mainline": mainline]

        for (variant, types) in expected {
            let reader = reader(variant)
            for (index, type) in types.enumerated() {
                let path = reader.roots.sys("class/thermal/thermal_zone\(index)/type")
                XCTAssertEqual(try reader.string(path), type, variant)
            }
        }
    }

    func testZoneTemperaturesOnSensorGrid() throws {
        // rockchip_thermal between 25 and 85 °C: 25000 + 60000 * (code - 285) / 65, integer division.
        let codes: ClosedRange<Int64> = 285...350
        let grid = Set(codes.map { code -> Int64 in 25000 + 60000 * (code - 285) / 65 })
        for variant in Self.variants {
            let reader = reader(variant)
            for index in 0..<7 {
                let temp = try reader.integer(reader.roots.sys("class/thermal/thermal_zone\(index)/temp"))
                XCTAssertTrue(grid.contains(temp), "\(variant) zone \(index): \(temp)")
            }
        }
    }

    func testCriticalTripsPerKernel() throws {
        let legacy = reader("opi5plus-v5.10")
        XCTAssertNil(try legacy.optionalString(legacy.roots.sys("class/thermal/thermal_zone1/trip_point_0_type")))
        XCTAssertNil(try legacy.optionalString(legacy.roots.sys("class/hwmon/hwmon1/temp1_crit")))
        XCTAssertEqual(try legacy.integer(legacy.roots.sys("class/hwmon/hwmon0/temp1_crit")), 115000)

        let vendor = reader("opi5plus-v6.1")
        XCTAssertEqual(try vendor.string(vendor.roots.sys("class/thermal/thermal_zone1/trip_point_0_type")),
                       "critical")
        XCTAssertEqual(try vendor.integer(vendor.roots.sys("class/thermal/thermal_zone1/trip_point_0_hyst")), 2000)

        let mainline = reader("opi5plus-mainline")
        let package = mainline.roots.sys("class/thermal/thermal_zone0")
        XCTAssertEqual(try mainline.integer(package + "/trip_point_0_hyst"), 0)
        XCTAssertEqual(try mainline.string(package + "/trip_point_1_type"), "active")
        XCTAssertEqual(try mainline.integer(package + "/trip_point_1_temp"), 55000)
    }

    func testPowerCoefficientIsBigEndian() throws {
        let expected: [(String, String, UInt32?)] = [
            ("opi5plus-v5.10", "cpu@400", 300), ("opi5plus-v5.10", "cpu@100", nil),
            ("opi5plus-v6.1", "cpu@0", 100), ("opi5plus-mainline", "cpu@100", 228),
            ("opi5plus-mainline", "cpu@700", 416),
        ]
        for (variant, node, value) in expected {
            let reader = reader(variant)
            let path = reader.roots.sys("firmware/devicetree/base/cpus/\(node)/dynamic-power-coefficient")
            guard let value else {
                XCTAssertFalse(reader.exists(path), "\(variant) \(node) has no coefficient")
                continue
            }
            let bytes = try reader.fileSystem.readAttribute(path)
            XCTAssertEqual(bytes.count, 4, "\(variant) \(node)")
            XCTAssertEqual(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }, value, "\(variant) \(node)")
        }
    }

    func testMainlineOppHzIs64Bit() throws {
        let reader = reader("opi5plus-mainline")
        let node = reader.roots.sys("firmware/devicetree/base/opp-table-cluster1/opp-2400000000")
        let hertz = try reader.fileSystem.readAttribute(node + "/opp-hz")
        XCTAssertEqual(hertz.count, 8)
        XCTAssertEqual(hertz.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }, 2_400_000_000)

        let microvolts = try reader.fileSystem.readAttribute(node + "/opp-microvolt")
        XCTAssertEqual(microvolts, [0x00, 0x0f, 0x42, 0x40, 0x00, 0x0f, 0x42, 0x40, 0x00, 0x0f, 0x42, 0x40])
    }

    func testModelIsNulTerminated() throws {
        let reader = reader("opi5plus-mainline")
        let bytes = try reader.fileSystem.readAttribute(reader.roots.sys("firmware/devicetree/base/model"))
        XCTAssertEqual(bytes, Array("Xunlong Orange Pi 5 Plus".utf8) + [0])
    }

    func testClassLinksResolveIntoDevices() throws {
        let classes = ["thermal", "hwmon", "net", "nvme", "devfreq", "regulator", "power_supply"]
        for variant in Self.variants {
            let reader = reader(variant)
            let devices = try reader.fileSystem.resolvePath(reader.roots.sys("devices")) + "/"
            for name in classes {
                for entry in try reader.optionalEntries(reader.roots.sys("class/\(name)")) {
                    let link = reader.roots.sys("class/\(name)/\(entry)")
                    if name == "net" && entry == "bonding_masters" {
                        // The bonding driver's class attribute is the one regular file in class/net.
                        XCTAssertEqual(reader.fileSystem.fileKind(link), .regular, variant)
                        continue
                    }
                    XCTAssertNotNil(reader.linkName(link), "\(variant) \(name)/\(entry) is a symlink")
                    XCTAssertTrue(try reader.fileSystem.resolvePath(link).hasPrefix(devices), "\(variant) \(link)")
                }
            }
        }
    }

    func testHwmonDeviceLinksResolve() throws {
        for variant in Self.variants {
            let reader = reader(variant)
            for entry in try reader.entries(reader.roots.sys("class/hwmon")) {
                let device = reader.roots.sys("class/hwmon/\(entry)/device")
                XCTAssertEqual(reader.fileSystem.fileKind(device), .directory, "\(variant) \(entry)")
            }
        }
    }

    func testUsbPdSupplyOnEveryKernel() throws {
        // Mainline's OPi5+ dts also describes the FUSB302 (`usb-typec@22` on i2c6), so tcpm registers
        // the same supply under the same i2c client as the vendor kernels.
        let client = "devices/platform/fec80000.i2c/i2c-6/6-0022"
        let hwmon = ["opi5plus-v5.10": "hwmon7", "opi5plus-v6.1": "hwmon7", "opi5plus-mainline": "hwmon9"]
        for variant in Self.variants {
            let reader = reader(variant)
            let link = reader.roots.sys("class/power_supply/tcpm-source-psy-6-0022")
            XCTAssertEqual(try reader.fileSystem.readLink(link),
                           "../../\(client)/power_supply/tcpm-source-psy-6-0022", variant)
            XCTAssertEqual(reader.fileSystem.fileKind(link), .directory, variant)
            XCTAssertEqual(try reader.fileSystem.resolvePath(link + "/device"),
                           try reader.fileSystem.resolvePath(reader.roots.sys(client)), variant)

            XCTAssertEqual(try reader.integer(link + "/online"), 0, variant)
            XCTAssertEqual(try reader.integer(link + "/voltage_now"), 0, variant)
            XCTAssertEqual(try reader.string(link + "/usb_type"), "[C] PD PD_PPS", variant)

            let chip = reader.roots.sys("class/hwmon/\(hwmon[variant]!)")
            XCTAssertEqual(try reader.string(chip + "/name"), "tcpm_source_psy_6_0022", variant)
            XCTAssertEqual(try reader.fileSystem.resolvePath(chip + "/device"),
                           try reader.fileSystem.resolvePath(link), variant)
        }
    }

    func testNetworkDriverPerKernel() throws {
        let expected = ["opi5plus-v5.10": "r8125", "opi5plus-v6.1": "r8169", "opi5plus-mainline": "r8169"]
        for (variant, driver) in expected {
            let reader = reader(variant)
            for interface in ["enP3p49s0", "enP4p65s0"] {
                XCTAssertEqual(reader.linkName(reader.roots.sys("class/net/\(interface)/device/driver")), driver)
            }
        }
    }

    func testLinkStatesOfEthernetPorts() throws {
        for variant in Self.variants {
            let reader = reader(variant)
            XCTAssertEqual(try reader.integer(reader.roots.sys("class/net/enP3p49s0/speed")), 2500, variant)
            XCTAssertEqual(try reader.integer(reader.roots.sys("class/net/enP4p65s0/speed")), -1, variant)
            XCTAssertEqual(try reader.string(reader.roots.sys("class/net/enP4p65s0/duplex")), "unknown", variant)
            XCTAssertEqual(try reader.string(reader.roots.sys("class/net/enP4p65s0/operstate")), "down", variant)
        }
    }

    func testCpuLinksPointToPolicies() throws {
        let policies = [0, 0, 0, 0, 4, 4, 6, 6]
        for variant in Self.variants {
            let reader = reader(variant)
            for (cpu, policy) in policies.enumerated() {
                let link = reader.roots.sys("devices/system/cpu/cpu\(cpu)/cpufreq")
                XCTAssertEqual(try reader.fileSystem.readLink(link), "../cpufreq/policy\(policy)", variant)
                XCTAssertEqual(reader.fileSystem.fileKind(link), .directory, variant)
            }
        }
    }

    func testCpufreqFilesAgreeWithOppList() throws {
        for variant in Self.variants {
            let reader = reader(variant)
            for policy in [0, 4, 6] {
                let path = reader.roots.sys("devices/system/cpu/cpufreq/policy\(policy)")
                let raw = try reader.fileSystem.readAttribute(path + "/scaling_available_frequencies")
                XCTAssertEqual(Array(raw.suffix(2)), [0x20, 0x0A], "\(variant) policy\(policy): trailing space")

                let opps = try reader.string(path + "/scaling_available_frequencies").split(separator: " ")
                let current = try reader.string(path + "/scaling_cur_freq")
                XCTAssertTrue(opps.contains(Substring(current)), "\(variant) policy\(policy): \(current)")

                let rows = try reader.string(path + "/stats/time_in_state").split(separator: "\n")
                XCTAssertEqual(rows.map { $0.split(separator: " ")[0] }, opps, "\(variant) policy\(policy)")
            }
        }
    }

    func testMaximumFrequenciesPerKernel() throws {
        let expected = [
            "opi5plus-v5.10": [1800000, 2304000, 2352000],
            "opi5plus-v6.1": [1800000, 2304000, 2352000],
            "opi5plus-mainline": [1800000, 2400000, 2400000],
        ]
        for (variant, maxima) in expected {
            let reader = reader(variant)
            for (policy, maximum) in zip([0, 4, 6], maxima) {
                let path = reader.roots.sys("devices/system/cpu/cpufreq/policy\(policy)/cpuinfo_max_freq")
                XCTAssertEqual(try reader.integer(path), Int64(maximum), "\(variant) policy\(policy)")
            }
        }
    }

    func testProcNetDevMatchesStatistics() throws {
        for variant in Self.variants {
            let reader = reader(variant)
            let table = try reader.table(reader.roots.proc("net/dev"))
            for line in table.split(separator: "\n").dropFirst(2) {
                let parts = line.split(separator: ":", maxSplits: 1)
                let name = String(Text.fields(parts[0])[0])
                let fields = Text.fields(parts[1])
                let statistics = reader.roots.sys("class/net/\(name)/statistics")
                XCTAssertEqual(UInt64(fields[0]), try reader.unsigned(statistics + "/rx_bytes"), "\(variant) \(name)")
                XCTAssertEqual(UInt64(fields[8]), try reader.unsigned(statistics + "/tx_bytes"), "\(variant) \(name)")
            }
        }
    }

    func testBondListsBothSlaves() throws {
        let reader = reader("opi5plus-mainline")
        let net = reader.roots.sys("class/net")
        XCTAssertEqual(try reader.string(net + "/bonding_masters"), "bond0")
        XCTAssertEqual(try reader.string(net + "/bond0/bonding/slaves"), "enP3p49s0 enP4p65s0")
        XCTAssertEqual(try reader.string(net + "/bond0/bonding/mode"), "active-backup 1")
        XCTAssertEqual(try reader.string(net + "/bond0/bonding/active_slave"), "enP3p49s0")
        XCTAssertEqual(try reader.string(net + "/bond0/lower_enP3p49s0/bonding_slave/mii_status"), "up")
        XCTAssertEqual(try reader.string(net + "/bond0/lower_enP4p65s0/bonding_slave/mii_status"), "down")
        XCTAssertEqual(try reader.integer(net + "/enP4p65s0/bonding_slave/link_failure_count"), 1)
    }

    func testSlaveMasterLinkResolvesToBond() throws {
        let reader = reader("opi5plus-mainline")
        let bond = try reader.fileSystem.resolvePath(reader.roots.sys("devices/virtual/net/bond0"))
        for slave in ["enP3p49s0", "enP4p65s0"] {
            let directory = reader.roots.sys("class/net/\(slave)")
            XCTAssertEqual(try reader.fileSystem.readLink(directory + "/master"), "../../../../../../../virtual/net/bond0",
                           slave)
            XCTAssertEqual(try reader.fileSystem.resolvePath(directory + "/master"), bond, slave)
            XCTAssertEqual(try reader.fileSystem.resolvePath(directory + "/upper_bond0"), bond, slave)
        }
    }

    func testSlavesCarryBondAddress() throws {
        let reader = reader("opi5plus-mainline")
        let net = reader.roots.sys("class/net")
        XCTAssertEqual(try reader.string(net + "/bond0/address"), "c0:74:2b:f9:d8:57")
        XCTAssertEqual(try reader.string(net + "/enP4p65s0/address"), "c0:74:2b:f9:d8:57")
        XCTAssertEqual(try reader.string(net + "/enP4p65s0/bonding_slave/perm_hwaddr"), "c0:74:2b:f9:d8:56")
        // IFF_MASTER (0x400) on the bond, IFF_SLAVE (0x800) on a slave.
        XCTAssertEqual(try reader.string(net + "/bond0/flags"), "0x1403")
        XCTAssertEqual(try reader.string(net + "/enP3p49s0/flags"), "0x1803")
    }

    func testBondStatisticsSumSlaves() throws {
        let reader = reader("opi5plus-mainline")
        let statistics = try reader.entries(reader.roots.sys("class/net/bond0/statistics"))
        XCTAssertEqual(statistics.count, 24)
        for counter in statistics {
            let slaves = try ["enP3p49s0", "enP4p65s0"].reduce(UInt64(0)) { total, slave in
                total + (try reader.unsigned(reader.roots.sys("class/net/\(slave)/statistics/\(counter)")))
            }
            XCTAssertEqual(try reader.unsigned(reader.roots.sys("class/net/bond0/statistics/\(counter)")), slaves,
                           counter)
        }
    }

    func testBondOnlyOnMainline() throws {
        for variant in ["opi5plus-v5.10", "opi5plus-v6.1"] {
            let reader = reader(variant)
            XCTAssertFalse(reader.exists(reader.roots.sys("class/net/bonding_masters")), variant)
            XCTAssertFalse(reader.exists(reader.roots.sys("class/net/enP3p49s0/master")), variant)
        }
    }

    func testNvmeIdentifyStringsArePadded() throws {
        for variant in Self.variants {
            let reader = reader(variant)
            let controller = reader.roots.sys("class/nvme/nvme0")
            XCTAssertEqual(try reader.fileSystem.readAttribute(controller + "/model").count, 41, variant)
            XCTAssertEqual(try reader.fileSystem.readAttribute(controller + "/serial").count, 21, variant)
            XCTAssertEqual(reader.linkName(controller + "/device"), "0000:01:00.0", variant)
        }
    }

    func testDevfreqDevicesPerKernel() throws {
        let expected = [
            "opi5plus-v5.10": ["fb000000.gpu", "fdab0000.npu"],
            "opi5plus-v6.1": ["dmc", "fb000000.gpu", "fdab0000.npu"],
            "opi5plus-mainline": ["fb000000.gpu"],
        ]
        for (variant, devices) in expected {
            let reader = reader(variant)
            XCTAssertEqual(try reader.entries(reader.roots.sys("class/devfreq")), devices, variant)
            let load = reader.roots.sys("class/devfreq/fb000000.gpu/load")
            XCTAssertEqual(reader.exists(load), variant == "opi5plus-v6.1", variant)
        }
    }

    func testRknpuOnlyOnVendorKernels() throws {
        let vendor = reader("opi5plus-v5.10")
        XCTAssertEqual(try vendor.string(vendor.roots.debug("rknpu/load")),
                       "NPU load:  Core0:  0%, Core1:  0%, Core2:  0%,")
        let mainline = reader("opi5plus-mainline")
        XCTAssertFalse(mainline.exists(mainline.roots.debug("rknpu")))
    }

    func testIdleStatesOnEveryCore() throws {
        let expected = [("state0", "WFI", "1", "1"), ("state1", "cpu-sleep", "220", "1000")]
        for variant in Self.variants {
            let reader = reader(variant)
            for cpu in 0..<8 {
                for (state, name, latency, residency) in expected {
                    let directory = reader.roots.sys("devices/system/cpu/cpu\(cpu)/cpuidle/\(state)/")
                    XCTAssertEqual(try reader.string(directory + "name"), name, "\(variant) cpu\(cpu)")
                    XCTAssertEqual(try reader.string(directory + "latency"), latency, "\(variant) cpu\(cpu)")
                    XCTAssertEqual(try reader.string(directory + "residency"), residency, "\(variant) cpu\(cpu)")
                }
            }
        }
    }
}
