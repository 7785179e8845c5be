@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// Loads a page written by `Tests/Fixtures/nvme/generate.py`.
func nvmeSmartPage(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.directory + "/nvme/" + name)))
}

final class NVMeSmartLogTests: XCTestCase {
    func testParsesWDCSN530Page() throws {
        let log = try NVMeSmartLog(bytes: try nvmeSmartPage("smart-log-wdc-sn530.bin"))

        XCTAssertEqual(log.criticalWarning, 0)
        XCTAssertEqual(log.compositeTemperatureKelvin, 299)
        XCTAssertEqual(log.availableSparePercent, 100)
        XCTAssertEqual(log.availableSpareThresholdPercent, 10)
        XCTAssertEqual(log.percentageUsed, 0)
        XCTAssertEqual(log.enduranceGroupCriticalWarningSummary, 0)
        XCTAssertEqual(log.dataUnitsRead, 58_670)
        XCTAssertEqual(log.dataUnitsWritten, 56_463)
        XCTAssertEqual(log.hostReadCommands, 829_446)
        XCTAssertEqual(log.hostWriteCommands, 255_675)
        XCTAssertEqual(log.controllerBusyMinutes, 3)
        XCTAssertEqual(log.powerCycles, 14)
        XCTAssertEqual(log.powerOnHours, 2)
        XCTAssertEqual(log.unsafeShutdowns, 2)
        XCTAssertEqual(log.mediaErrors, 0)
        XCTAssertEqual(log.errorLogEntries, 1)
        XCTAssertEqual(log.warningTemperatureMinutes, 0)
        XCTAssertEqual(log.criticalTemperatureMinutes, 0)
        XCTAssertEqual(log.temperatureSensorsKelvin, [0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(log.thermalManagementTransitions, [0, 0])
        XCTAssertEqual(log.thermalManagementSeconds, [0, 0])
    }

    func testParsesTemperatureSensors() throws {
        let log = try NVMeSmartLog(bytes: try nvmeSmartPage("smart-log-wd-black-sn770m.bin"))

        XCTAssertEqual(log.compositeTemperatureKelvin, 314)
        XCTAssertEqual(log.temperatureSensorsKelvin, [323, 314, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(log.dataUnitsWritten, 5_679_722)
        XCTAssertEqual(log.controllerBusyMinutes, 315)
    }

    func testCounterAboveTwoToThe64() throws {
        let log = try NVMeSmartLog(bytes: try nvmeSmartPage("smart-log-edges.bin"))

        XCTAssertEqual(log.dataUnitsWritten, (UInt128(1) << 64) + 1000)
    }

    func testEdgeFields() throws {
        let log = try NVMeSmartLog(bytes: try nvmeSmartPage("smart-log-edges.bin"))

        XCTAssertEqual(log.criticalWarning, 0x29)
        XCTAssertEqual(log.percentageUsed, 255)
        XCTAssertEqual(log.enduranceGroupCriticalWarningSummary, 0x04)
        XCTAssertEqual(log.warningTemperatureMinutes, 7)
        XCTAssertEqual(log.criticalTemperatureMinutes, 2)
        XCTAssertEqual(log.temperatureSensorsKelvin[2], 330)
        XCTAssertEqual(log.thermalManagementTransitions, [12, 1])
        XCTAssertEqual(log.thermalManagementSeconds, [3600, 45])
    }

    func testWarningBitsInBitOrder() throws {
        let log = try NVMeSmartLog(bytes: try nvmeSmartPage("smart-log-edges.bin"))

        let set = (0..<6).filter { log.isWarningSet(bit: $0) }.map { NVMeSmartLog.criticalWarningBits[$0] }
        XCTAssertEqual(set, ["available_spare", "read_only", "persistent_memory_read_only"])
    }

    func testFullWidthCounterIsLittleEndian() throws {
        var page = [UInt8](repeating: 0, count: NVMeSmartLog.size)
        for offset in 0..<16 {
            page[160 + offset] = UInt8(offset + 1)
        }

        let log = try NVMeSmartLog(bytes: page)

        var expected: UInt128 = 0
        for byte in (1...16).reversed() {
            expected = expected << 8 | UInt128(byte)
        }
        XCTAssertEqual(log.mediaErrors, expected)
    }

    func testShortPageThrows() throws {
        let page = Array(try nvmeSmartPage("smart-log-wdc-sn530.bin").prefix(511))

        XCTAssertThrowsError(try NVMeSmartLog(bytes: page, path: "/dev/nvme0")) { error in
            let parseError = error as? ParseError
            XCTAssertEqual(parseError?.path, "/dev/nvme0")
            XCTAssertEqual(parseError?.content, "511 bytes")
        }
    }

    func testEmptyPageThrows() {
        XCTAssertThrowsError(try NVMeSmartLog(bytes: []))
    }
}
