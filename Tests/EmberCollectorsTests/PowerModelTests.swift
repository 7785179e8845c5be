@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

final class DeviceTreeCellsTests: XCTestCase {
    func testCellsAreBigEndianOnEveryHost() {
        XCTAssertEqual(DeviceTreeCells.u32Cells([0x00, 0x00, 0x01, 0x2C]), [300])
        XCTAssertEqual(DeviceTreeCells.u32Cells([0x00, 0x0A, 0x4C, 0xB8, 0x00, 0x0E, 0x7E, 0xF0]), [675_000, 950_000])
        XCTAssertEqual(DeviceTreeCells.u64([0x00, 0x00, 0x00, 0x00, 0x8C, 0x30, 0xAC, 0x00]), 2_352_000_000)
    }

    func testMalformedLengthsAreRejected() {
        XCTAssertNil(DeviceTreeCells.u32Cells([]))
        XCTAssertNil(DeviceTreeCells.u32Cells([0x00, 0x01, 0x02]))
        XCTAssertNil(DeviceTreeCells.u64([0x00, 0x00, 0x01, 0x2C]))
    }

    func testMainlineOPPTableThroughPhandle() throws {
        let reader = SourceReader(roots: Fixtures.roots("rk3588/opi5plus-mainline"))
        let deviceTree = DeviceTreeReader(reader: reader)
        let facts = try CPUDeviceTreeFacts.read(deviceTree)

        let table = try XCTUnwrap(OperatingPointTableLoader(deviceTree: deviceTree).table(for: facts.nodes[4]))

        XCTAssertEqual(facts.nodes.count, 8)
        XCTAssertEqual(facts.coefficients[0], 228)
        XCTAssertEqual(facts.coefficients[7], 416)
        XCTAssertEqual(facts.compatible, ["xunlong,orangepi-5-plus", "rockchip,rk3588"])
        XCTAssertEqual(facts.supplies[4], 0x20)
        XCTAssertNil(facts.supplies[0], "the fixture has no node for the A55 cluster's RK806 rail")
        XCTAssertEqual(table.microvoltsByHertz.count, 7)
        XCTAssertEqual(table.volts(atHertz: 2_208_000_000), 0.9875)
        XCTAssertEqual(table.volts(atHertz: 2_100_000_000), 0.9875, "between two OPPs the higher one counts")
        XCTAssertEqual(table.volts(atHertz: 3_000_000_000), 1.0, "above the table the highest OPP counts")
    }

    func testVendorSixCellOPPUsesFirstCell() throws {
        let reader = SourceReader(roots: Fixtures.roots("rk3588/opi5plus-v5.10"))
        let deviceTree = DeviceTreeReader(reader: reader)
        let facts = try CPUDeviceTreeFacts.read(deviceTree)

        let table = try XCTUnwrap(OperatingPointTableLoader(deviceTree: deviceTree).table(for: facts.nodes[0]))

        XCTAssertEqual(facts.coefficient(forAnyOf: [0, 1, 2, 3]), 100)
        XCTAssertEqual(facts.coefficient(forAnyOf: [6, 7]), 300, "vendor trees set it on the cluster's first CPU")
        XCTAssertNil(facts.coefficients[5])
        XCTAssertEqual(table.volts(atHertz: 1_800_000_000), 0.95)
    }
}

final class DynamicPowerModelTests: XCTestCase {
    func testVendorA76ClusterHalfAndFullyBusy() {
        // C = 300 µW/MHz/V², V = 0.9875 V, f = 2208 MHz:
        // 300 × 0.9875² × 2208 = 300 × 0.97515625 × 2208 = 645943.5 µW per busy core;
        // cores 50 % and 100 % busy: 645943.5 × 1.5 = 968915.25 µW = 0.96891525 W.
        let input = DynamicPowerInput(coefficient: 300, volts: 0.9875, megahertz: 2208, busyFractions: [0.5, 1.0])

        XCTAssertEqual(DynamicPowerModel.watts(input), 0.96891525, accuracy: 1e-9)
    }

    func testMainlineA76ClusterAtOPPVoltage() {
        // C = 416, the mainline OPP voltage at 2208 MHz is 987500 µV:
        // 416 × 0.97515625 × 2208 = 895708.32 µW per busy core, so two fully busy cores use
        // 1.79141664 W.
        let input = DynamicPowerInput(coefficient: 416, volts: 0.9875, megahertz: 2208, busyFractions: [1, 1])

        XCTAssertEqual(DynamicPowerModel.watts(input), 1.79141664, accuracy: 1e-9)
    }

    func testMainlineA55Cluster() {
        // C = 228, V = 0.95 V, f = 1800 MHz: 228 × 0.9025 × 1800 = 370386 µW per busy core;
        // four cores at 25 % busy make one busy core: 0.370386 W.
        let input = DynamicPowerInput(
            coefficient: 228, volts: 0.95, megahertz: 1800, busyFractions: [0.25, 0.25, 0.25, 0.25])

        XCTAssertEqual(DynamicPowerModel.watts(input), 0.370386, accuracy: 1e-9)
    }

    func testIdleClusterHasNoDynamicPower() {
        let input = DynamicPowerInput(coefficient: 416, volts: 1, megahertz: 2400, busyFractions: [0, 0])

        XCTAssertEqual(DynamicPowerModel.watts(input), 0)
    }

    func testStaticFitConvergesToResidual() {
        var fit = StaticTermFit(rate: 0.5)

        // A steady residual of 2 W: the correction is 2 × (1 − 0.5ⁿ) after n samples.
        XCTAssertEqual(fit.update(measuredWatts: 5, uncorrectedEstimateWatts: 3), 1)
        XCTAssertEqual(fit.update(measuredWatts: 5, uncorrectedEstimateWatts: 3), 1.5)
        XCTAssertEqual(fit.update(measuredWatts: 5, uncorrectedEstimateWatts: 3), 1.75)
    }

    func testZeroRateFitStaysAtSeed() {
        var fit = StaticTermFit(rate: 0, startingAt: 0.8)

        XCTAssertEqual(fit.update(measuredWatts: 10, uncorrectedEstimateWatts: 3), 0.8)
    }

    func testFrequencyMixFromResidency() throws {
        let old = [FrequencyResidency(frequencyKilohertz: 408_000, ticks: 100),
                   FrequencyResidency(frequencyKilohertz: 1_800_000, ticks: 10)]
        let new = [FrequencyResidency(frequencyKilohertz: 408_000, ticks: 175),
                   FrequencyResidency(frequencyKilohertz: 1_800_000, ticks: 35),
                   FrequencyResidency(frequencyKilohertz: 2_000_000, ticks: 9)]

        let mix = try XCTUnwrap(FrequencyMix.between(old, new))

        XCTAssertEqual(mix.states, [
            FrequencyMix.State(megahertz: 408, share: 0.75), FrequencyMix.State(megahertz: 1800, share: 0.25),
        ], "a frequency missing from the older reading is left out")
        XCTAssertEqual(mix.averageMegahertz, 756)
        XCTAssertEqual(mix.weightedSum { $0 * 2 }, 1512)
        XCTAssertNil(mix.weightedSum { $0 > 1000 ? nil : $0 })
    }

    func testFrequencyMixRejectsResetAndIdleInterval() {
        let old = [FrequencyResidency(frequencyKilohertz: 408_000, ticks: 100)]

        XCTAssertNil(FrequencyMix.between(old, [FrequencyResidency(frequencyKilohertz: 408_000, ticks: 50)]))
        XCTAssertNil(FrequencyMix.between(old, old))
    }
}
