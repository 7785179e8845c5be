#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The user, groups and effective capabilities the kernel checks the agent's reads against.
public struct ProcessCredentials: Sendable, Hashable {
    /// The effective user ID, the one file permission checks use.
    public var userID: UInt32
    /// The effective group ID.
    public var groupID: UInt32
    /// The supplementary group IDs.
    public var supplementaryGroupIDs: [UInt32]
    /// The effective capability set (`CapEff`).
    public var capabilities: CapabilitySet

    public init(userID: UInt32, groupID: UInt32, supplementaryGroupIDs: [UInt32], capabilities: CapabilitySet) {
        self.userID = userID
        self.groupID = groupID
        self.supplementaryGroupIDs = supplementaryGroupIDs
        self.capabilities = capabilities
    }

    /// Parses the `Uid:`, `Gid:`, `Groups:` and `CapEff:` lines of `/proc/PID/status`.
    ///
    /// `Uid:` and `Gid:` list the real, effective, saved and file-system IDs, and the effective one
    /// is the second. Throws ``ParseError`` naming `path` when a line is missing or malformed.
    public static func parse(status: String, path: String) throws -> ProcessCredentials {
        var fields: [Substring: [Substring]] = [:]
        for line in status.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let values = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            fields[line[..<colon]] = values
        }

        guard let uids = fields["Uid"], uids.count >= 2, let userID = UInt32(uids[1]),
              let gids = fields["Gid"], gids.count >= 2, let groupID = UInt32(gids[1])
        else {
            throw ParseError(path: path, expected: "Uid: and Gid: lines with four IDs each", content: status)
        }
        guard let capText = fields["CapEff"]?.first, let capabilities = CapabilitySet(hex: String(capText)) else {
            throw ParseError(path: path, expected: "a CapEff: line with a hexadecimal mask", content: status)
        }
        let groups = (fields["Groups"] ?? []).compactMap { UInt32($0) }
        return ProcessCredentials(
            userID: userID, groupID: groupID, supplementaryGroupIDs: groups, capabilities: capabilities)
    }

    /// Reads the credentials of the agent's own process from the real procfs, not the one given by
    /// `--path.procfs`, which may be a fixture or a host's procfs seen from a container.
    public static func current(reader: SourceReader = SourceReader(roots: SourceRoots())) throws -> ProcessCredentials {
        let path = SourceRoots.defaultProcfs + "/self/status"
        return try parse(status: reader.table(path), path: path)
    }

    /// Returns whether the process is in group `id`, as its primary or a supplementary group.
    public func isMember(ofGroup id: UInt32) -> Bool {
        groupID == id || supplementaryGroupIDs.contains(id)
    }
}

/// User and group names from the system's user database (NSS, so systemd's dynamic users resolve).
public enum AccountNames {
    /// Returns the name of user `id`, or its number when the database has no entry.
    public static func userName(_ id: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(id, &entry, &buffer, buffer.count, &result) == 0, let found = result else {
            return String(id)
        }
        return String(cString: found.pointee.pw_name)
    }

    /// Returns the name of group `id`, or its number when the database has no entry.
    public static func groupName(_ id: UInt32) -> String {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getgrgid_r(id, &entry, &buffer, buffer.count, &result) == 0, let found = result else {
            return String(id)
        }
        return String(cString: found.pointee.gr_name)
    }
}
