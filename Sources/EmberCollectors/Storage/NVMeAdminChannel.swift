#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEmberShims
import EmberCore

/// Sends NVMe admin commands to a controller's character device (`/dev/nvme0`).
///
/// The collector reads logs only through this seam, so tests can feed it pages and errnos
/// without a controller.
public protocol NVMeAdminChannel: AnyObject {
    /// Reads `length` bytes of log page `identifier` for all namespaces (NSID FFFFFFFFh).
    ///
    /// Throws ``FileError`` when the device cannot be opened or the ioctl fails (EACCES without
    /// CAP_SYS_ADMIN), and ``NVMeCommandError`` when the controller rejects the command.
    func readLogPage(devicePath: String, identifier: UInt8, length: Int) throws -> [UInt8]
}

/// The controller completed an admin command with a non-zero NVMe status.
public struct NVMeCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    public let path: String
    /// The status the kernel returned: Status Code Type in bits 10:8, Status Code in bits 7:0.
    public let status: UInt32

    public init(path: String, status: UInt32) {
        self.path = path
        self.status = status
    }

    public var description: String {
        let hex = String(status, radix: 16, uppercase: true)
        return "NVMe Get Log Page on \(path) failed: controller returned status 0x\(hex)"
    }
}

/// The real channel: one `open`, one `ioctl(NVME_IOCTL_ADMIN_CMD)` and one `close` per read.
///
/// NOTE: the per-read deadline does not cover the ioctl. The kernel waits for the admin command
/// uninterruptibly, so a signal cannot end it. The command's own 5 s timeout bounds it, and the
/// sampler skips the nvme collector while a run is still stuck in it.
public final class SystemNVMeAdminChannel: NVMeAdminChannel {
    static let allNamespaces: UInt32 = 0xFFFF_FFFF

    public init() {}

    public func readLogPage(devicePath: String, identifier: UInt8, length: Int) throws -> [UInt8] {
        // Read-only is all the admin passthrough ioctl needs.
        let fd = try openForReading(devicePath)
        defer { close(fd) }

        var page = [UInt8](repeating: 0, count: length)
        var status: UInt32 = 0
        let code = page.withUnsafeMutableBytes { buffer in
            ember_nvme_get_log_page(fd, Self.allNamespaces, identifier, buffer.baseAddress, UInt32(length), &status)
        }
        if status != 0 {
            throw NVMeCommandError(path: devicePath, status: status)
        }
        if code != 0 {
            throw FileError(operation: "ioctl NVME_IOCTL_ADMIN_CMD", path: devicePath, code: code)
        }
        return page
    }
}
