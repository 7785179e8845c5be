/// The privilege or file permission the agent's user lacks to read one denied source.
public struct AccessRequirement: Sendable, Hashable {
    /// A short token for logs and the `needs` label: `CAP_SYS_ADMIN`, `root`, `group:NAME`,
    /// `user:NAME`, or a capability and a file permission joined by `+` (`CAP_SYS_ADMIN+group:disk`).
    public let needs: String
    /// The reason the read was denied and how to grant access, in one or two sentences.
    public let remedy: String

    public init(needs: String, remedy: String) {
        self.needs = needs
        self.remedy = remedy
    }
}

/// Works out, from the file permissions on the way to a denied source and the privilege its
/// collector named, what the agent's user lacks.
public struct AccessAnalyzer {
    public let credentials: ProcessCredentials
    /// The debugfs mount point, which the kernel mounts with mode 0700 unless a `mode=` mount option sets another.
    public let debugfsRoot: String
    /// Returns a path's ownership, or nil when it does not exist. Injected so tests can describe
    /// permissions that root, which runs the tests, would bypass.
    public let ownership: (String) -> FileOwnership?

    public init(
        credentials: ProcessCredentials, debugfsRoot: String = SourceRoots.defaultDebugfs,
        ownership: @escaping (String) -> FileOwnership? = FileOwnership.lookUp
    ) {
        self.credentials = credentials
        self.debugfsRoot = debugfsRoot
        self.ownership = ownership
    }

    /// Returns what reading `source` needs.
    ///
    /// A file permission that blocks the path comes first, because no capability helps before the
    /// file can be opened. A capability the collector named (CAP_SYS_ADMIN for the NVMe admin
    /// command) is added to it. When neither explains the denial, the driver or a security module
    /// denied the read, and the remedy states that.
    public func requirement(for source: UnavailableSource) -> AccessRequirement {
        let capability = source.grantedBy.flatMap { $0.hasPrefix("CAP_") ? $0 : nil }
        let blocked = blockingPermission(source.path)

        switch (blocked, capability) {
        case let (blocked?, capability?):
            // Root has every capability, so "root" covers both.
            let needs = blocked.needs == "root" ? "root" : capability + "+" + blocked.needs
            return AccessRequirement(needs: needs, remedy: blocked.remedy + " " + capabilityRemedy(capability))
        case let (blocked?, _):
            return blocked
        case let (nil, capability?):
            return AccessRequirement(needs: capability, remedy: capabilityRemedy(capability))
        case (nil, nil):
            return unexplainedDenial(source)
        }
    }

    /// Returns the requirement of the first path component whose permission bits deny this user,
    /// searching each directory down to the file, then reading the file. Nil when none denies.
    func blockingPermission(_ path: String) -> AccessRequirement? {
        let components = path.split(separator: "/")
        var prefix = ""
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            let access: FileOwnership.Access = index == components.count - 1 ? .read : .search
            guard let owner = ownership(prefix) else { return nil }
            if !owner.allows(access, to: credentials) {
                return requirement(blockedAt: prefix, owner: owner, access: access)
            }
        }
        return nil
    }

    private func requirement(blockedAt path: String, owner: FileOwnership, access: FileOwnership.Access)
        -> AccessRequirement
    {
        let verb = access == .read ? "read" : "search"
        let fact = "\(path) has mode \(owner.octalMode), owner \(AccountNames.userName(owner.userID)), "
            + "group \(AccountNames.groupName(owner.groupID)), which does not let this user \(verb) it."

        if path == debugfsRoot {
            return AccessRequirement(
                needs: "root",
                remedy: fact + " Run as root, or mount debugfs with a mode that lets other users in "
                    + "(mount -o remount,mode=0755 \(debugfsRoot)), which shows all of debugfs to every user.")
        }
        if owner.groupID != 0, (owner.mode >> 3) & access.rawValue != 0 {
            let group = AccountNames.groupName(owner.groupID)
            return AccessRequirement(
                needs: "group:" + group,
                remedy: fact + " Add the agent's user to group \(group) "
                    + "(SupplementaryGroups=\(group) in the systemd unit).")
        }
        if owner.userID != 0, (owner.mode >> 6) & access.rawValue != 0 {
            let user = AccountNames.userName(owner.userID)
            return AccessRequirement(needs: "user:" + user, remedy: fact + " Run the agent as user \(user).")
        }
        return AccessRequirement(
            needs: "root",
            remedy: fact + " Run as root, or grant CAP_DAC_READ_SEARCH, which lets the agent read every file.")
    }

    private func capabilityRemedy(_ capability: String) -> String {
        if let bit = CapabilitySet.names.firstIndex(of: capability), credentials.capabilities.contains(bit) {
            return "The process has \(capability), so a security module or the container runtime denied it."
        }
        let setcapName = capability.lowercased()
        return "Grant \(capability) (AmbientCapabilities=\(capability) in the systemd unit, "
            + "or setcap \(setcapName)+ep on the binary)."
    }

    private func unexplainedDenial(_ source: UnavailableSource) -> AccessRequirement {
        let needs = source.grantedBy ?? "root"
        return AccessRequirement(
            needs: needs,
            remedy: "The file permissions let this user read \(source.path), so the driver or a security module "
                + "denied it. Reading it may need \(needs).")
    }
}
