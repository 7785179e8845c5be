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

    /// Parses `0000:01:00.0`; nil for anything else, such as the `pci0000:00` bus directories.
    init?(_ text: String) {
        // Most names passed here are other sysfs entries of a device directory, which have no colon.
        // Rejecting those first spares splitting them.
        guard text.utf8.contains(UInt8(ascii: ":")) else { return nil }

        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }

        let slot = parts[2].split(separator: ".", omittingEmptySubsequences: false)
        guard slot.count == 2,
              let domain = PCIAddress.hex(parts[0], digits: 4...8),
              let bus = PCIAddress.hex(parts[1], digits: 2...2),
              let device = PCIAddress.hex(slot[0], digits: 2...2), device < 32,
              let function = PCIAddress.hex(slot[1], digits: 1...1), function < 8
        else { return nil }
        self.init(domain: domain, bus: bus, device: device, function: function)
    }

    var description: String {
        hexString(domain, width: 4) + ":" + hexString(bus, width: 2) + ":" + hexString(device, width: 2) + "."
            + String(function, radix: 16)
    }

    static func < (lhs: PCIAddress, rhs: PCIAddress) -> Bool {
        (lhs.domain, lhs.bus, lhs.device, lhs.function) < (rhs.domain, rhs.bus, rhs.device, rhs.function)
    }

    private static func hex(_ text: Substring, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(text.count), text.allSatisfy(\.isHexDigit) else { return nil }
        return Int(text, radix: 16)
    }
}

/// Lower-case hexadecimal of `value`, zero-padded to `width` digits.
func hexString<Value: BinaryInteger>(_ value: Value, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
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
