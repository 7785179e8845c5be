import EmberCore
import XCTest

final class CapabilitySetTests: XCTestCase {
    func testSummaryNamesCapabilities() {
        XCTAssertEqual(CapabilitySet(mask: 0).summary, "none")
        XCTAssertEqual(CapabilitySet(mask: 1 << 21).summary, "CAP_SYS_ADMIN")
        XCTAssertEqual(CapabilitySet(mask: 1 << 2 | 1 << 21).summary, "CAP_DAC_READ_SEARCH,CAP_SYS_ADMIN")
        XCTAssertEqual(CapabilitySet(mask: 1 << 45).summary, "cap_45")
    }

    func testSummaryOfNearlyFullSet() {
        XCTAssertEqual(CapabilitySet(hex: "000001ffffffffff")?.summary, "all")
        XCTAssertEqual(CapabilitySet(hex: "000001fffeffffff")?.summary, "all except CAP_SYS_RESOURCE")
    }

    func testInvalidHexIsRejected() {
        XCTAssertNil(CapabilitySet(hex: ""))
        XCTAssertNil(CapabilitySet(hex: "xyz"))
    }
}

final class ProcessCredentialsTests: XCTestCase {
    private let status = """
        Name:\tember
        Umask:\t0022
        Uid:\t1000\t65534\t65534\t65534
        Gid:\t1000\t65534\t65534\t65534
        Groups:\t44 6 
        CapInh:\t0000000000200000
        CapPrm:\t0000000000200000
        CapEff:\t0000000000200000
        """

    func testParseUsesEffectiveIDs() throws {
        let credentials = try ProcessCredentials.parse(status: status, path: "/proc/self/status")

        XCTAssertEqual(credentials.userID, 65534)
        XCTAssertEqual(credentials.groupID, 65534)
        XCTAssertEqual(credentials.supplementaryGroupIDs, [44, 6])
        XCTAssertEqual(credentials.capabilities.capabilityNames, ["CAP_SYS_ADMIN"])
        XCTAssertTrue(credentials.isMember(ofGroup: 6))
        XCTAssertFalse(credentials.isMember(ofGroup: 0))
    }

    func testMissingLinesAreParseErrors() {
        let noCapabilities = status.split(separator: "\n").filter { !$0.hasPrefix("CapEff") }.joined(separator: "\n")
        XCTAssertThrowsError(try ProcessCredentials.parse(status: noCapabilities, path: "/proc/self/status"))
        XCTAssertThrowsError(try ProcessCredentials.parse(status: "Uid:\t0\n", path: "/proc/self/status"))
    }

    func testCurrentProcessMatchesGeteuid() throws {
        let credentials = try ProcessCredentials.current()

        XCTAssertEqual(credentials.userID, geteuid())
        XCTAssertEqual(credentials.groupID, getegid())
    }
}

final class AccessAnalyzerTests: XCTestCase {
    private static let nobody = ProcessCredentials(
        userID: 65534, groupID: 65534, supplementaryGroupIDs: [], capabilities: CapabilitySet(mask: 0))

    /// A board's permissions as Debian sets them up: debugfs root-only, a root-only cpufreq file,
    /// an i2c node of group `video` (44 in Debian's base-passwd) and NVMe controller nodes.
    private static let tree: [String: FileOwnership] = [
        "/": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        "/sys": FileOwnership(userID: 0, groupID: 0, mode: 0o555),
        "/sys/kernel": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        "/sys/kernel/debug": FileOwnership(userID: 0, groupID: 0, mode: 0o700),
        "/sys/kernel/debug/rknpu": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        "/sys/kernel/debug/rknpu/load": FileOwnership(userID: 0, groupID: 0, mode: 0o444),
        "/sys/cpu0": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        "/sys/cpu0/cpuinfo_cur_freq": FileOwnership(userID: 0, groupID: 0, mode: 0o400),
        "/sys/config": FileOwnership(userID: 0, groupID: 0, mode: 0o644),
        "/sys/owned": FileOwnership(userID: 1, groupID: 0, mode: 0o400),
        "/dev": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        "/dev/nvme0": FileOwnership(userID: 0, groupID: 0, mode: 0o600),
        "/dev/nvme1": FileOwnership(userID: 0, groupID: 6, mode: 0o660),
        "/dev/i2c-0": FileOwnership(userID: 0, groupID: 44, mode: 0o660),
    ]

    private func requirement(
        _ path: String, grantedBy: String? = nil, credentials: ProcessCredentials = nobody
    ) -> AccessRequirement {
        let analyzer = AccessAnalyzer(credentials: credentials, ownership: { Self.tree[$0] })
        let source = UnavailableSource(
            path: path, error: FileError(operation: "open", path: path, code: EACCES), grantedBy: grantedBy)
        return analyzer.requirement(for: source)
    }

    func testDebugfsMountModeNeedsRoot() {
        let result = requirement("/sys/kernel/debug/rknpu/load")

        XCTAssertEqual(result.needs, "root")
        XCTAssertTrue(result.remedy.contains("/sys/kernel/debug has mode 0700"), result.remedy)
        XCTAssertTrue(result.remedy.contains("mount -o remount,mode=0755 /sys/kernel/debug"), result.remedy)
    }

    func testRootOnlyFileNeedsRoot() {
        let result = requirement("/sys/cpu0/cpuinfo_cur_freq")

        XCTAssertEqual(result.needs, "root")
        XCTAssertTrue(result.remedy.contains("mode 0400"), result.remedy)
        XCTAssertTrue(result.remedy.contains("CAP_DAC_READ_SEARCH"), result.remedy)
    }

    func testDeviceGroupNeedsMembership() {
        let result = requirement("/dev/i2c-0")

        XCTAssertEqual(result.needs, "group:video")
        XCTAssertTrue(result.remedy.contains("SupplementaryGroups=video"), result.remedy)
    }

    func testOwnerOtherThanRootIsNamed() {
        XCTAssertEqual(requirement("/sys/owned").needs, "user:daemon")
    }

    func testCapabilityOfReadableFile() {
        let result = requirement("/sys/config", grantedBy: "CAP_SYS_ADMIN")

        XCTAssertEqual(result.needs, "CAP_SYS_ADMIN")
        XCTAssertTrue(result.remedy.contains("AmbientCapabilities=CAP_SYS_ADMIN"), result.remedy)
        XCTAssertTrue(result.remedy.contains("setcap cap_sys_admin+ep"), result.remedy)
    }

    func testCapabilityAndDeviceGroup() {
        let result = requirement("/dev/nvme1", grantedBy: "CAP_SYS_ADMIN")

        XCTAssertEqual(result.needs, "CAP_SYS_ADMIN+group:disk")
        XCTAssertTrue(result.remedy.contains("SupplementaryGroups=disk"), result.remedy)
        XCTAssertTrue(result.remedy.contains("AmbientCapabilities=CAP_SYS_ADMIN"), result.remedy)
    }

    func testCapabilityAndRootOnlyNode() {
        let withCapability = ProcessCredentials(
            userID: 65534, groupID: 65534, supplementaryGroupIDs: [], capabilities: CapabilitySet(mask: 1 << 21))

        let result = requirement("/dev/nvme0", grantedBy: "CAP_SYS_ADMIN", credentials: withCapability)

        XCTAssertEqual(result.needs, "root", "CAP_SYS_ADMIN does not bypass file permissions")
        XCTAssertTrue(result.remedy.contains("/dev/nvme0 has mode 0600"), result.remedy)
    }

    func testCapabilityHeldButDenied() {
        let withCapability = ProcessCredentials(
            userID: 65534, groupID: 65534, supplementaryGroupIDs: [], capabilities: CapabilitySet(mask: 1 << 21))

        let result = requirement("/sys/config", grantedBy: "CAP_SYS_ADMIN", credentials: withCapability)

        XCTAssertEqual(result.needs, "CAP_SYS_ADMIN")
        XCTAssertTrue(result.remedy.contains("security module"), result.remedy)
    }

    func testDacCapabilityBypassesModes() {
        let withDac = ProcessCredentials(
            userID: 65534, groupID: 65534, supplementaryGroupIDs: [], capabilities: CapabilitySet(mask: 1 << 2))

        let result = requirement("/sys/cpu0/cpuinfo_cur_freq", credentials: withDac)

        XCTAssertEqual(result.needs, "root")
        XCTAssertTrue(result.remedy.contains("driver or a security module"), result.remedy)
    }

    func testGroupMemberPassesGroupBits() {
        let member = ProcessCredentials(
            userID: 65534, groupID: 65534, supplementaryGroupIDs: [44], capabilities: CapabilitySet(mask: 0))

        XCTAssertTrue(Self.tree["/dev/i2c-0"]!.allows(.read, to: member))
        XCTAssertFalse(Self.tree["/dev/i2c-0"]!.allows(.read, to: Self.nobody))
    }
}
