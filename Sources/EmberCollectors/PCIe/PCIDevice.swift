/// A PCI function address, `DDDD:BB:DD.F` as sysfs and `lspci -D` print it.
struct PCIAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    let domain: Int
    let bus: Int
    let device: Int
    let function: Int

    init(domain: Int, bus: Int, device: Int, function: Int) {
        self.domain = domain
        self.bus = bus
        self.device = device
        self.function = function
    }

    /// Parses `0000:01:00.0`: a domain of 4 to 8 hex digits, then a 2-digit bus, a 2-digit device
    /// below 32 and a 1-digit function below 8. Returns nil for anything else, such as the
    /// `pci0000:00` bus directories.
    init?(_ text: String) {
        // Parsing the bytes in place makes no array of parts. The collector parses every entry
        // of every device directory on each cycle.
        let parsed = text.utf8.withContiguousStorageIfAvailable(PCIAddress.parse)
            ?? Array(text.utf8).withUnsafeBufferPointer(PCIAddress.parse)
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses the UTF-8 bytes of an address for ``init(_:)``. Hex digits and separators are ASCII,
    /// so any other byte rejects the text.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> PCIAddress? {
        // `:BB:DD.F` is the last 8 bytes, and the domain is what comes before it.
        let domainLength = bytes.count - 8
        guard (4...8).contains(domainLength) else { return nil }

        let colon = UInt8(ascii: ":")
        guard bytes[domainLength] == colon, bytes[domainLength + 3] == colon,
              bytes[domainLength + 6] == UInt8(ascii: "."),
              let domain = hex(bytes[0..<domainLength]),
              let bus = hex(bytes[(domainLength + 1)..<(domainLength + 3)]),
              let device = hex(bytes[(domainLength + 4)..<(domainLength + 6)]), device < 32,
              let function = hex(bytes[(domainLength + 7)...]), function < 8
        else { return nil }
        return PCIAddress(domain: domain, bus: bus, device: device, function: function)
    }

    /// Returns the value of ASCII hex digits, or nil for any other byte.
    private static func hex(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        var value = 0
        for byte in digits {
            guard let digit = hexDigitValue(byte) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    var description: String {
        hexString(domain, width: 4) + ":" + hexString(bus, width: 2) + ":" + hexString(device, width: 2) + "."
            + hexString(function, width: 1)
    }

    static func < (lhs: PCIAddress, rhs: PCIAddress) -> Bool {
        (lhs.domain, lhs.bus, lhs.device, lhs.function) < (rhs.domain, rhs.bus, rhs.device, rhs.function)
    }
}

/// Returns the value of an ASCII hex digit, or nil for any other byte.
private func hexDigitValue(_ byte: UInt8) -> Int? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
    default: nil
    }
}

/// Lower-case hexadecimal of `value`, zero-padded to `width` digits.
///
/// Writes the digits into the string's storage, because `String(_:radix:)` and the padding took
/// about 1 000 instructions per call, and the collector formats several IDs per device each cycle.
func hexString<Value: BinaryInteger>(_ value: Value, width: Int) -> String {
    guard let magnitude = UInt64(exactly: value) else {
        // A negative value, never a PCI ID, is formatted as before, with the padding before its sign.
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    let significantDigits = max(1, (UInt64.bitWidth - magnitude.leadingZeroBitCount + 3) / 4)
    let count = max(width, significantDigits)
    return String(unsafeUninitializedCapacity: count) { buffer in
        var rest = magnitude
        for index in stride(from: count - 1, through: 0, by: -1) {
            let digit = UInt8(truncatingIfNeeded: rest & 0xF)
            buffer[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            rest >>= 4
        }
        return count
    }
}

/// The IDs a function reports in the first bytes of its configuration space.
struct PCIIdentity: Hashable, Sendable {
    let vendor: UInt16
    let device: UInt16
    /// Base class, subclass and programming interface, as the 24-bit `class` attribute (`0x010802`).
    let classCode: UInt32

    var vendorID: String { "0x" + hexString(vendor, width: 4) }
    var deviceID: String { "0x" + hexString(device, width: 4) }
    var classID: String { "0x" + hexString(classCode, width: 6) }
}

/// The speed and width of a PCI Express link, as trained (`current`) and as capable (`max`).
/// Speeds are in GT/s; any field is nil when its source was absent or reported "Unknown".
struct PCIeLink: Equatable, Sendable {
    var currentSpeed: Double?
    var currentWidth: Int?
    var maxSpeed: Double?
    var maxWidth: Int?
    /// Whether a device on the other end trained the link; nil when unknown. A port with an empty
    /// slot reports the lowest speed and width, which is not a downgrade.
    var isActive: Bool?

    /// Maximum speed of the function at the other end of the link in GT/s, or nil when unknown.
    /// `PCIeLinkPartners` sets it once every function of a run has been read.
    var partnerMaxSpeed: Double?
    /// Maximum width of the function at the other end of the link, or nil when unknown.
    var partnerMaxWidth: Int?

    /// Highest speed both ends support: the lower maximum, or this end's when the other's is unknown.
    var capableSpeed: Double? {
        guard let maxSpeed else { return nil }
        return min(maxSpeed, partnerMaxSpeed ?? maxSpeed)
    }

    /// Highest width both ends support: the lower maximum, or this end's when the other's is unknown.
    var capableWidth: Int? {
        guard let maxWidth else { return nil }
        return min(maxWidth, partnerMaxWidth ?? maxWidth)
    }

    /// Whether the link runs below what both of its ends support, in speed or width. Nil when a
    /// value of this end is unknown or the link is inactive.
    var isDowngraded: Bool? {
        guard isActive != false, let currentSpeed, let currentWidth, let capableSpeed, let capableWidth else {
            return nil
        }
        return currentSpeed < capableSpeed || currentWidth < capableWidth
    }

    var isEmpty: Bool {
        currentSpeed == nil && currentWidth == nil && maxSpeed == nil && maxWidth == nil
    }
}

/// The readings of one PCI function in one run.
struct PCIDeviceReading: Sendable {
    let address: PCIAddress
    /// The upstream bridge's address, or nil for a function directly on a host bridge.
    var parent: PCIAddress?
    /// Nil when the ID attributes could not be read (the error is recorded).
    var identity: PCIIdentity?

    /// Whether the function is a PCI-to-PCI bridge (class 0x0604), such as a root port.
    var isBridge: Bool { identity.map { $0.classCode >> 8 == 0x0604 } ?? false }
    /// The bound driver's name, or nil when no driver is bound.
    var driver: String?
    var link = PCIeLink()
    /// The `aer_dev_correctable`, `aer_dev_nonfatal` and `aer_dev_fatal` reports that were readable.
    var aer: [AERDeviceReport] = []
    /// `aer_rootport_total_err_*` of a root port: error messages it received from below.
    var rootPortTotals: [(severity: AERSeverity, count: UInt64)] = []

    init(address: PCIAddress) {
        self.address = address
    }
}
