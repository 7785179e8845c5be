@testable import EmberCollectors
import XCTest

/// The two pages captured from QEMU 7.2's emulated controller by `Tests/qemu/run.sh --update-fixtures`.
final class NVMeSmartQEMUPageTests: XCTestCase {
    func testPowerOnPage() throws {
        let log = try NVMeSmartLog(bytes: try nvmeSmartPage("qemu-7.2-smart-log.bin"))

        XCTAssertEqual(log.criticalWarning, 0)
        // QEMU 7.2 reports a fixed 323 K and 0 % available spare.
        XCTAssertEqual(log.compositeTemperatureKelvin, 323)
        XCTAssertEqual(log.availableSparePercent, 0)
        XCTAssertEqual(log.percentageUsed, 0)
        XCTAssertEqual(log.dataUnitsRead, 1)
        XCTAssertEqual(log.dataUnitsWritten, 0)
        XCTAssertEqual(log.hostReadCommands, 3)
        XCTAssertEqual(log.hostWriteCommands, 0)
        XCTAssertEqual(log.powerCycles, 0)
        XCTAssertEqual(log.powerOnHours, 0)
        XCTAssertEqual(log.temperatureSensorsKelvin, [0, 0, 0, 0, 0, 0, 0, 0])
    }

    func testCriticalWarningSetThroughQEMU() throws {
        let log = try NVMeSmartLog(bytes: try nvmeSmartPage("qemu-7.2-smart-log-critical-warning-4.bin"))

        XCTAssertEqual(log.criticalWarning, 4)
        for bit in 0..<NVMeSmartLog.criticalWarningBits.count {
            XCTAssertEqual(log.isWarningSet(bit: bit), bit == 2, "bit \(bit)")
        }
        XCTAssertEqual(log.compositeTemperatureKelvin, 323)
    }
}
