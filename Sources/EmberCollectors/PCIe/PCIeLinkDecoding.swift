import EmberCore

/// Decoding of link speed and width from sysfs text and from configuration space.
enum PCIeLinkDecoding {
    /// Parses `current_link_speed` or `max_link_speed`: `8.0 GT/s PCIe` (Linux 5.x and later) or
    /// `8 GT/s` (older kernels). Returns nil for `Unknown` or `Unknown speed`, which the kernel
    /// prints when the link is down or the speed code is reserved.
    static func parseSpeed(_ text: String, path: String) throws -> Double? {
        let trimmed = SysfsClass.trimSpace(text)
        if trimmed.hasPrefix("Unknown") {
            return nil
        }
        let (number, unit) = firstTwoFields(trimmed)
        guard unit == "GT/s", let number, let speed = Double(number), speed > 0 else {
            throw ParseError(path: path, expected: "a link speed such as \"8.0 GT/s PCIe\"", content: text)
        }
        return speed
    }

    /// Returns the first two fields of `text` as `text.split(separator: " ")` gives them, nil for
    /// a field that is missing.
    ///
    /// ASCII text is scanned by bytes, where splitting by characters cost about 7 000 instructions
    /// per attribute (callgrind). In other text a space followed by a combining mark is one
    /// character and no separator, so that text is split by characters.
    static func firstTwoFields(_ text: String) -> (Substring?, Substring?) {
        guard isASCII(text) else {
            let fields = text.split(separator: " ")
            return (fields.first, fields.count >= 2 ? fields[1] : nil)
        }

        let bytes = text.utf8
        let space = UInt8(ascii: " ")
        var index = bytes.startIndex
        func nextField() -> Substring? {
            while index < bytes.endIndex, bytes[index] == space {
                index = bytes.index(after: index)
            }
            guard index < bytes.endIndex else { return nil }

            let start = index
            while index < bytes.endIndex, bytes[index] != space {
                index = bytes.index(after: index)
            }
            return text[start..<index]
        }
        let first = nextField()
        return (first, nextField())
    }

    /// The width the kernel prints in `max_link_width` when the Link Capabilities register reads 0
    /// (`PCIE_LNK_WIDTH_UNKNOWN`), as for QEMU 7.2's virtio devices.
    static let unknownWidth: Int64 = 0xFF

    /// Parses `current_link_width` or `max_link_width`, the lane count in decimal. Returns nil for
    /// the kernel's unknown width, 255, which is not a lane count.
    static func parseWidth(_ text: String, path: String) throws -> Int? {
        width(try SysfsClass.parseInteger(text, path: path))
    }

    /// Returns a parsed lane count, or nil for the kernel's unknown width.
    static func width(_ lanes: Int64) -> Int? {
        lanes == unknownWidth ? nil : Int(lanes)
    }

    /// Transfer rates in GT/s by the 4-bit speed code of the Link Capabilities and Link Status
    /// registers (PCI Express Base Specification: 1 = 2.5 GT/s through 6 = 64 GT/s).
    static let speedByCode: [UInt32: Double] = [1: 2.5, 2: 5, 3: 8, 4: 16, 5: 32, 6: 64]

    /// The PCI Express capability ID in the standard capability list.
    static let expressCapabilityID: UInt8 = 0x10

    /// Finds the PCI Express capability in the first 256 bytes of configuration space; nil when
    /// the function has no capability list or no such capability.
    static func expressCapabilityOffset(in config: [UInt8]) -> Int? {
        guard config.count >= 0x40 else { return nil }
        // Status register bit 4: the capability list pointer at 0x34 is valid.
        guard config[0x06] & 0x10 != 0 else { return nil }

        var offset = Int(config[0x34] & 0xFC)
        var visited = 0
        // The list lives in 0x40...0xFF, so a chain longer than 48 entries is a loop.
        while offset >= 0x40, offset + 1 < config.count, visited < 48 {
            if config[offset] == expressCapabilityID {
                return offset
            }
            offset = Int(config[offset + 1] & 0xFC)
            visited += 1
        }
        return nil
    }

    /// Decodes Link Capabilities (capability + 0x0C) and Link Status (capability + 0x12).
    static func link(fromConfig config: [UInt8]) -> PCIeLink? {
        guard let capability = expressCapabilityOffset(in: config), capability + 0x14 <= config.count else {
            return nil
        }
        let capabilities = littleEndian(config, at: capability + 0x0C, count: 4)
        let status = littleEndian(config, at: capability + 0x12, count: 2)
        // Data Link Layer Link Active (Link Status bit 13) is valid only when Link Capabilities
        // bit 20 is set, as root and downstream ports set it.
        let reportsActive = capabilities & (1 << 20) != 0
        // A Maximum Link Width of 0 is reserved, and reads so when the register is not implemented.
        let maxWidth = Int((capabilities >> 4) & 0x3F)
        return PCIeLink(
            currentSpeed: speedByCode[status & 0xF], currentWidth: Int((status >> 4) & 0x3F),
            maxSpeed: speedByCode[capabilities & 0xF], maxWidth: maxWidth == 0 ? nil : maxWidth,
            isActive: reportsActive ? status & (1 << 13) != 0 : nil)
    }

    /// Reads the vendor, device and class IDs from the configuration header.
    static func identity(fromConfig config: [UInt8]) -> PCIIdentity? {
        guard config.count >= 0x0C else { return nil }
        return PCIIdentity(
            vendor: UInt16(littleEndian(config, at: 0, count: 2)), device: UInt16(littleEndian(config, at: 2, count: 2)),
            classCode: littleEndian(config, at: 0x09, count: 3))
    }

    /// Configuration space is little-endian whatever the CPU's byte order.
    static func littleEndian(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in stride(from: offset + count - 1, through: offset, by: -1) {
            value = value << 8 | UInt32(bytes[index])
        }
        return value
    }
}
