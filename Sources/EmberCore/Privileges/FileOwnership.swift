#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Owner, group and permission bits of one path, as `stat(2)` reports them after following links.
public struct FileOwnership: Sendable, Hashable {
    public var userID: UInt32
    public var groupID: UInt32
    /// The permission bits (`0o7777` of `st_mode`).
    public var mode: UInt32

    public init(userID: UInt32, groupID: UInt32, mode: UInt32) {
        self.userID = userID
        self.groupID = groupID
        self.mode = mode
    }

    /// Returns the ownership of `path`, or nil when `stat` fails (the path does not exist).
    public static func lookUp(_ path: String) -> FileOwnership? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileOwnership(userID: info.st_uid, groupID: info.st_gid, mode: UInt32(info.st_mode) & 0o7777)
    }

    /// The permission a file check needs: read for the file itself, search for each directory above it.
    public enum Access: UInt32, Sendable {
        case read = 4
        case search = 1
    }

    /// Returns whether `credentials` pass the permission bits for `access`, as the kernel's
    /// `generic_permission` decides. CAP_DAC_READ_SEARCH bypasses read and search checks, and
    /// CAP_DAC_OVERRIDE includes it.
    public func allows(_ access: Access, to credentials: ProcessCredentials) -> Bool {
        if credentials.capabilities.contains(CapabilitySet.dacReadSearch)
            || credentials.capabilities.contains(CapabilitySet.dacOverride)
        {
            return true
        }
        return bits(for: credentials) & access.rawValue != 0
    }

    /// Returns the three permission bits that apply to `credentials`: the owner's, else the group's, else
    /// the others'. The kernel uses only the first class that matches.
    func bits(for credentials: ProcessCredentials) -> UInt32 {
        if credentials.userID == userID {
            return (mode >> 6) & 7
        }
        if credentials.isMember(ofGroup: groupID) {
            return (mode >> 3) & 7
        }
        return mode & 7
    }

    /// The mode as `ls -l` shows an octal mode, such as `0600`.
    public var octalMode: String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
