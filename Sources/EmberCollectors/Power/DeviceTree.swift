import EmberCore

/// Decoders for device-tree property values as `/sys/firmware/devicetree/base` stores them: raw
/// bytes with every integer cell big-endian, whatever the CPU's byte order.
public enum DeviceTreeCells {
    /// Decodes a property of 32-bit cells, such as `opp-microvolt` (1 or 3 cells, 6 on some
    /// vendor kernels) or a phandle. Returns nil when the length is not a non-zero multiple of 4.
    public static func u32Cells(_ bytes: [UInt8]) -> [UInt32]? {
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { return nil }

        var cells: [UInt32] = []
        for start in stride(from: 0, to: bytes.count, by: 4) {
            var value: UInt32 = 0
            for byte in bytes[start..<(start + 4)] {
                value = value << 8 | UInt32(byte)
            }
            cells.append(value)
        }
        return cells
    }

    /// Decodes a 64-bit property such as `opp-hz`, stored as two cells, most significant first.
    /// Returns nil unless it is exactly 8 bytes.
    public static func u64(_ bytes: [UInt8]) -> UInt64? {
        guard bytes.count == 8, let cells = u32Cells(bytes) else { return nil }
        return UInt64(cells[0]) << 32 | UInt64(cells[1])
    }
}

/// Typed reads of device-tree properties, so each failure names its file.
struct DeviceTreeReader {
    let reader: SourceReader

    /// `/sys/firmware/devicetree/base`.
    var base: String { reader.roots.sys("firmware/devicetree/base") }

    /// Reads a property of 32-bit cells; nil when the node has no such property.
    func optionalCells(_ path: String) throws -> [UInt32]? {
        guard let bytes = try optionalBytes(path) else { return nil }
        guard let cells = DeviceTreeCells.u32Cells(bytes) else {
            throw ParseError(path: path, expected: "big-endian 32-bit cells", content: hex(bytes))
        }
        return cells
    }

    /// Reads a 64-bit property; nil when the node has no such property.
    func optionalU64(_ path: String) throws -> UInt64? {
        guard let bytes = try optionalBytes(path) else { return nil }
        guard let value = DeviceTreeCells.u64(bytes) else {
            throw ParseError(path: path, expected: "one big-endian 64-bit value", content: hex(bytes))
        }
        return value
    }

    /// Reads a property as a settled attribute: the device tree is fixed at boot, and only an
    /// overlay changes it, which a rescan picks up.
    private func optionalBytes(_ path: String) throws -> [UInt8]? {
        do {
            return try reader.fileSystem.readSettledAttribute(path)
        } catch where error.isNotFound {
            return nil
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.prefix(16).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}
