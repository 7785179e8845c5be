/// Linux capability sets as `/proc/PID/status` prints them (`CapEff: 0000000000200000`), decoded
/// by the names of `linux/capability.h`.
public struct CapabilitySet: Sendable, Hashable {
    /// One bit per capability number, bit 21 for CAP_SYS_ADMIN.
    public let mask: UInt64

    public init(mask: UInt64) {
        self.mask = mask
    }

    /// Parses the hexadecimal mask of a `Cap*:` line, such as `000001ffffffffff`.
    public init?(hex: String) {
        guard !hex.isEmpty, let mask = UInt64(hex, radix: 16) else { return nil }
        self.mask = mask
    }

    /// Capability names in bit order, from `linux/capability.h` of Linux 6.1, where bit 40
    /// (CAP_CHECKPOINT_RESTORE) is the last.
    static let names = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    public static let dacOverride = 1
    public static let dacReadSearch = 2

    /// Returns whether capability number `bit` is in the set.
    public func contains(_ bit: Int) -> Bool {
        bit >= 0 && bit < 64 && mask & (1 << UInt64(bit)) != 0
    }

    /// The names of the capabilities in the set, in bit order. A bit newer than this table is
    /// named `cap_N`, as libcap's `capsh --decode` names it.
    public var capabilityNames: [String] {
        (0..<64).filter(contains).map { bit in
            bit < Self.names.count ? Self.names[bit] : "cap_\(bit)"
        }
    }

    /// A short text for logs: `none`, the names, or for a nearly full set (root) `all` with the
    /// few that are missing, such as `all except CAP_SYS_RESOURCE`.
    public var summary: String {
        let present = capabilityNames
        if present.isEmpty {
            return "none"
        }

        let missing = Self.names.indices.filter { !contains($0) }.map { Self.names[$0] }
        guard present.count > Self.names.count / 2 else {
            return present.joined(separator: ",")
        }
        return missing.isEmpty ? "all" : "all except " + missing.joined(separator: ",")
    }
}
