@testable import EmberHistory

extension StateFileFormat {
    /// Returns a state file with `payload` behind a valid header: magic, this version, the length and
    /// the CRC-32, the layout ``encode(_:)`` writes.
    public static func wrap(payload: [UInt8]) -> [UInt8] {
        var file = ByteWriter()
        file.bytes = magic
        file.u32(version)
        file.u64(UInt64(payload.count))
        file.u32(CRC32.checksum(payload[...]))
        file.bytes.append(contentsOf: payload)
        return file.bytes
    }
}
