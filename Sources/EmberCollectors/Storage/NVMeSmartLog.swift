import EmberCore

/// The SMART / Health Information log page (log identifier 02h) of an NVMe controller, as the NVM
/// Express Base Specification lays it out: 512 bytes, multi-byte fields little-endian.
///
/// Values keep the log's own units (Kelvin, percent, minutes, hours, data units of 512 000 bytes),
/// and the collector converts them to base units.
public struct NVMeSmartLog: Sendable, Equatable {
    /// The page size in bytes. Bytes 232–511 are reserved.
    public static let size = 512

    /// Bits of the critical warning byte (byte 0), in bit order 0–5. Bits 6 and 7 are reserved.
    public static let criticalWarningBits = [
        "available_spare", "temperature", "reliability_degraded", "read_only",
        "volatile_memory_backup_failed", "persistent_memory_read_only",
    ]

    public var criticalWarning: UInt8
    /// Composite temperature in Kelvin (bytes 1–2).
    public var compositeTemperatureKelvin: UInt16
    /// Remaining spare capacity in percent, 0–100 (byte 3).
    public var availableSparePercent: UInt8
    /// The available spare level below which the controller raises a critical warning, in percent (byte 4).
    public var availableSpareThresholdPercent: UInt8
    /// Estimate of the endurance used, in percent (byte 5). 100 means the rated endurance is
    /// reached, and values up to 255 are allowed beyond it.
    public var percentageUsed: UInt8
    /// Critical warning bits of the endurance groups, ORed together (byte 6).
    public var enduranceGroupCriticalWarningSummary: UInt8
    /// Data read by the host, in units of 1000 512-byte blocks (bytes 32–47).
    public var dataUnitsRead: UInt128
    /// Data written by the host, in units of 1000 512-byte blocks (bytes 48–63).
    public var dataUnitsWritten: UInt128
    public var hostReadCommands: UInt128
    public var hostWriteCommands: UInt128
    /// Time the controller was busy with I/O commands, in minutes (bytes 96–111).
    public var controllerBusyMinutes: UInt128
    public var powerCycles: UInt128
    public var powerOnHours: UInt128
    public var unsafeShutdowns: UInt128
    /// Unrecovered data integrity errors: ECC, CRC checksum or LBA tag mismatches (bytes 160–175).
    public var mediaErrors: UInt128
    /// Error Information log entries over the controller's life (bytes 176–191).
    public var errorLogEntries: UInt128
    /// Time the composite temperature spent at or above the warning threshold, in minutes (bytes 192–195).
    public var warningTemperatureMinutes: UInt32
    /// Time the composite temperature spent at or above the critical threshold, in minutes (bytes 196–199).
    public var criticalTemperatureMinutes: UInt32
    /// Temperature sensors 1–8 in Kelvin (bytes 200–215), where 0 means not implemented.
    public var temperatureSensorsKelvin: [UInt16]
    /// Times the controller entered thermal management levels 1 and 2 (bytes 216–223).
    public var thermalManagementTransitions: [UInt32]
    /// Time spent in thermal management levels 1 and 2, in seconds (bytes 224–231).
    public var thermalManagementSeconds: [UInt32]

    /// Decodes a page. `path` names the device in the error.
    ///
    /// Throws ``ParseError`` when fewer than 512 bytes arrived. Extra bytes are ignored.
    public init(bytes: [UInt8], path: String = "SMART / Health Information log") throws(ParseError) {
        guard bytes.count >= Self.size else {
            throw ParseError(
                path: path, expected: "a \(Self.size)-byte SMART / Health Information log page",
                content: "\(bytes.count) bytes")
        }
        let page = LittleEndianBytes(bytes)

        criticalWarning = bytes[0]
        compositeTemperatureKelvin = UInt16(page.unsigned(at: 1, width: 2))
        availableSparePercent = bytes[3]
        availableSpareThresholdPercent = bytes[4]
        percentageUsed = bytes[5]
        enduranceGroupCriticalWarningSummary = bytes[6]

        dataUnitsRead = page.unsigned(at: 32, width: 16)
        dataUnitsWritten = page.unsigned(at: 48, width: 16)
        hostReadCommands = page.unsigned(at: 64, width: 16)
        hostWriteCommands = page.unsigned(at: 80, width: 16)
        controllerBusyMinutes = page.unsigned(at: 96, width: 16)
        powerCycles = page.unsigned(at: 112, width: 16)
        powerOnHours = page.unsigned(at: 128, width: 16)
        unsafeShutdowns = page.unsigned(at: 144, width: 16)
        mediaErrors = page.unsigned(at: 160, width: 16)
        errorLogEntries = page.unsigned(at: 176, width: 16)

        warningTemperatureMinutes = UInt32(page.unsigned(at: 192, width: 4))
        criticalTemperatureMinutes = UInt32(page.unsigned(at: 196, width: 4))
        temperatureSensorsKelvin = (0..<8).map { UInt16(page.unsigned(at: 200 + 2 * $0, width: 2)) }
        thermalManagementTransitions = (0..<2).map { UInt32(page.unsigned(at: 216 + 4 * $0, width: 4)) }
        thermalManagementSeconds = (0..<2).map { UInt32(page.unsigned(at: 224 + 4 * $0, width: 4)) }
    }

    /// Returns whether critical warning bit `bit` (0–7) is set.
    public func isWarningSet(bit: Int) -> Bool {
        criticalWarning & (1 << bit) != 0
    }
}

/// Little-endian unsigned fields of a byte page, assembled byte by byte so the host's byte order
/// and alignment never matter.
struct LittleEndianBytes {
    private let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Returns the `width`-byte (1–16) unsigned value starting at `offset`.
    func unsigned(at offset: Int, width: Int) -> UInt128 {
        var value: UInt128 = 0
        for index in stride(from: offset + width - 1, through: offset, by: -1) {
            value = value << 8 | UInt128(bytes[index])
        }
        return value
    }
}
