@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class StorageErrorsCollectorTests: XCTestCase {
    /// A read-write root on the eMMC, a data partition on a USB disk that ext4 remounted read-only
    /// after an error, an administrator's read-only mount, and virtual file systems.
    static let mountInfo = """
        22 1 179:2 / / rw,relatime shared:1 - ext4 /dev/mmcblk0p2 rw,errors=remount-ro
        23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
        24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        31 22 8:1 / /srv/data rw,noatime shared:20 - ext4 /dev/sda1 ro,errors=remount-ro
        32 22 179:1 / /boot ro,relatime shared:21 - vfat /dev/mmcblk0p1 ro,fmask=0022
        33 22 0:30 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=1611000k,mode=755

        """

    private func run(_ tree: HardwareTree, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ StorageErrorsCollector(context: $0) }, roots: tree.roots, fileSystem: fileSystem)
    }

    private func writeMountInfo(_ tree: HardwareTree, _ content: String, process: String = "1") throws {
        let directory = tree.root + "/proc/" + process
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: directory + "/mountinfo"))
    }

    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        try tree.write("block/sda/device/ioerr_cnt", "0x1a\n")
        try tree.write("block/sda/device/iorequest_cnt", "0x2f4e1\n")
        try tree.write("block/sda/device/iodone_cnt", "0x2f4e1\n")
        try tree.write("block/sda/device/iotmo_cnt", "0x3\n")
        try tree.makeDirectory("block/mmcblk0/device")
        try tree.write("fs/ext4/sda1/errors_count", "3\n")
        try tree.write("fs/ext4/sda1/first_error_time", "1733300000\n")
        try tree.write("fs/ext4/sda1/last_error_time", "1733310000\n")
        try tree.write("fs/ext4/mmcblk0p2/errors_count", "0\n")
        try tree.write("fs/ext4/mmcblk0p2/first_error_time", "0\n")
        try tree.write("fs/ext4/mmcblk0p2/last_error_time", "0\n")
        try tree.write("fs/ext4/features/metadata_csum_seed", "supported\n")
        try writeMountInfo(tree, Self.mountInfo)
        return tree
    }

    func testSCSICountersFromHex() throws {
        let values = HardwareHarness.values(try run(try makeTree()))

        XCTAssertEqual(values[#"ember_block_io_errors_total{device="sda"}"#], 26)
        XCTAssertEqual(values[#"ember_block_io_requests_total{device="sda"}"#], 193_761)
        XCTAssertEqual(values[#"ember_block_io_completions_total{device="sda"}"#], 193_761)
        XCTAssertEqual(values[#"ember_block_io_timeouts_total{device="sda"}"#], 3)
        let blockKeys = values.keys.filter { $0.hasPrefix("ember_block_") }
        XCTAssertFalse(blockKeys.contains { $0.contains("mmcblk0") }, "\(blockKeys)")
    }

    func testSignExtendedCounterIsCut() throws {
        let tree = try makeTree()
        try tree.write("block/sda/device/iorequest_cnt", "0xffffffff80000005\n")

        let values = HardwareHarness.values(try run(tree))

        XCTAssertEqual(values[#"ember_block_io_requests_total{device="sda"}"#], 2_147_483_653)
    }

    func testScsiCounterValueKeepsOrdinaryValues() {
        XCTAssertEqual(StorageErrorsCollector.scsiCounterValue(0), 0)
        XCTAssertEqual(StorageErrorsCollector.scsiCounterValue(0x7FFF_FFFF), 0x7FFF_FFFF)
        XCTAssertEqual(StorageErrorsCollector.scsiCounterValue(0x1_0000_0000), 0x1_0000_0000)
        XCTAssertEqual(StorageErrorsCollector.scsiCounterValue(0xFFFF_FFFF_FFFF_FFFF), 0xFFFF_FFFF)
    }

    func testExt4ErrorRecords() throws {
        let values = HardwareHarness.values(try run(try makeTree()))

        XCTAssertEqual(values[#"ember_ext4_errors_total{device="sda1"}"#], 3)
        XCTAssertEqual(values[#"ember_ext4_first_error_timestamp_seconds{device="sda1"}"#], 1_733_300_000)
        XCTAssertEqual(values[#"ember_ext4_last_error_timestamp_seconds{device="sda1"}"#], 1_733_310_000)
        XCTAssertEqual(values[#"ember_ext4_errors_total{device="mmcblk0p2"}"#], 0)
    }

    func testZeroErrorTimeIsOmitted() throws {
        let values = HardwareHarness.values(try run(try makeTree()))

        XCTAssertNil(values[#"ember_ext4_first_error_timestamp_seconds{device="mmcblk0p2"}"#])
        XCTAssertNil(values[#"ember_ext4_last_error_timestamp_seconds{device="mmcblk0p2"}"#])
    }

    func testFeaturesDirectoryIsSkipped() throws {
        let sink = try run(try makeTree())

        XCTAssertFalse(sink.samples.contains { $0.labelValues.first == "features" })
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testForcedReadOnlyRule() throws {
        let values = HardwareHarness.values(try run(try makeTree()))

        let series = values.filter { $0.key.hasPrefix("ember_filesystem_forced_readonly") }
        XCTAssertEqual(series, [
            #"ember_filesystem_forced_readonly{device="/dev/mmcblk0p2",fstype="ext4",mountpoint="/"}"#: 0,
            #"ember_filesystem_forced_readonly{device="/dev/sda1",fstype="ext4",mountpoint="/srv/data"}"#: 1,
            #"ember_filesystem_forced_readonly{device="/dev/mmcblk0p1",fstype="vfat",mountpoint="/boot"}"#: 0,
        ])
    }

    func testReadOnlyBindMountIsNotForced() {
        let line = "40 22 8:1 /export /mnt/export ro,relatime shared:30 - ext4 /dev/sda1 rw,errors=remount-ro"

        let entry = MountInfoParser.parseLine(Substring(line))

        XCTAssertEqual(entry?.isForcedReadOnly, false)
    }

    func testStackedMountKeepsVisibleEntry() throws {
        let tree = try makeTree()
        try writeMountInfo(tree, """
            22 1 179:2 / / rw,relatime - ext4 /dev/mmcblk0p2 rw
            40 22 8:1 / /mnt rw,relatime - ext4 /dev/sda1 ro
            41 40 8:2 / /mnt rw,relatime - ext4 /dev/sda2 rw

            """)

        let values = HardwareHarness.values(try run(tree))

        let series = values.filter { $0.key.hasPrefix("ember_filesystem_forced_readonly") && $0.key.contains("/mnt") }
        let visible = #"ember_filesystem_forced_readonly{device="/dev/sda2",fstype="ext4",mountpoint="/mnt"}"#
        XCTAssertEqual(series, [visible: 0])
    }

    func testOptionalFieldsAndEscapes() {
        let line = #"50 22 8:3 / /media/usb\040disk rw,nosuid shared:40 master:2 - ext4 /dev/sdb1 ro,errors=remount-ro"#

        let entry = MountInfoParser.parseLine(Substring(line))

        XCTAssertEqual(entry?.mountPoint, "/media/usb disk")
        XCTAssertEqual(entry?.source, "/dev/sdb1")
        XCTAssertEqual(entry?.fileSystemType, "ext4")
        XCTAssertEqual(entry?.mountOptions, ["rw", "nosuid"])
        XCTAssertEqual(entry?.superOptions, ["ro", "errors=remount-ro"])
        XCTAssertEqual(entry?.isForcedReadOnly, true)
    }

    func testForcedRemountShowsInNextSample() throws {
        let tree = try makeTree()
        let collector = StorageErrorsCollector(context: HardwareHarness.context(tree.roots))
        var first = MetricSink()
        try collector.update(into: &first)
        let key = #"ember_filesystem_forced_readonly{device="/dev/mmcblk0p2",fstype="ext4",mountpoint="/"}"#
        XCTAssertEqual(HardwareHarness.values(first)[key], 0)

        let remounted = Self.mountInfo.replacingOccurrences(
            of: "ext4 /dev/mmcblk0p2 rw,errors=remount-ro", with: "ext4 /dev/mmcblk0p2 ro,errors=remount-ro")
        try writeMountInfo(tree, remounted)
        var second = MetricSink()
        try collector.update(into: &second)

        XCTAssertEqual(HardwareHarness.values(second)[key], 1)
    }

    func testUnchangedTableKeepsSeriesAndErrors() throws {
        let tree = try makeTree()
        try writeMountInfo(tree, Self.mountInfo + "99 22 8:9 / /broken rw,relatime ext4 /dev/sdz1 rw\n")
        let collector = StorageErrorsCollector(context: HardwareHarness.context(tree.roots))
        var first = MetricSink()
        try collector.update(into: &first)
        var second = MetricSink()
        try collector.update(into: &second)

        XCTAssertEqual(HardwareHarness.values(second), HardwareHarness.values(first))
        XCTAssertEqual(HardwareHarness.errorPaths(second), [tree.root + "/proc/1/mountinfo"])
    }

    func testFallbackTableIsParsedAgain() throws {
        let tree = try makeTree()
        let collector = StorageErrorsCollector(context: HardwareHarness.context(tree.roots))
        var first = MetricSink()
        try collector.update(into: &first)

        try FileManager.default.removeItem(atPath: tree.root + "/proc/1/mountinfo")
        try writeMountInfo(tree, "22 1 8:5 / /other rw,relatime - ext4 /dev/sdc1 ro\n", process: "self")
        var second = MetricSink()
        try collector.update(into: &second)

        let series = HardwareHarness.values(second).filter { $0.key.hasPrefix("ember_filesystem_forced_readonly") }
        XCTAssertEqual(series, [
            #"ember_filesystem_forced_readonly{device="/dev/sdc1",fstype="ext4",mountpoint="/other"}"#: 1,
        ])
    }

    func testMalformedMountLineIsRecorded() throws {
        let tree = try makeTree()
        try writeMountInfo(tree, Self.mountInfo + "99 22 8:9 / /broken rw,relatime ext4 /dev/sdz1 rw\n")

        let sink = try run(tree)

        XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.root + "/proc/1/mountinfo"])
        XCTAssertEqual(HardwareHarness.values(sink).keys.filter { $0.hasPrefix("ember_filesystem_") }.count, 3)
    }

    func testUnreadableMountInfoIsRecorded() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.root + "/proc/1/mountinfo")

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
        XCTAssertTrue(HardwareHarness.values(sink).keys.filter { $0.hasPrefix("ember_filesystem_") }.isEmpty)
        XCTAssertEqual(HardwareHarness.values(sink)[#"ember_ext4_errors_total{device="sda1"}"#], 3)
    }

    func testFallsBackToOwnMountTable() throws {
        let tree = try makeTree()
        try FileManager.default.removeItem(atPath: tree.root + "/proc/1")
        try writeMountInfo(tree, "40 22 8:1 / /srv rw,relatime - ext4 /dev/sda1 ro\n", process: "self")

        let sink = try run(tree)

        let series = HardwareHarness.values(sink).filter { $0.key.hasPrefix("ember_filesystem_forced_readonly") }
        let own = #"ember_filesystem_forced_readonly{device="/dev/sda1",fstype="ext4",mountpoint="/srv"}"#
        XCTAssertEqual(series, [own: 1])
        XCTAssertTrue(sink.errors.isEmpty)
    }

    func testDeniedInitMountTableFallsBack() throws {
        let tree = try makeTree()
        try writeMountInfo(tree, "40 22 8:1 / /srv rw,relatime - ext4 /dev/sda1 ro\n", process: "self")
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EACCES, at: tree.root + "/proc/1/mountinfo")

        let sink = try run(tree, fileSystem: fileSystem)

        let series = HardwareHarness.values(sink).filter { $0.key.hasPrefix("ember_filesystem_forced_readonly") }
        XCTAssertEqual(series.count, 1)
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertTrue(sink.unavailableSources.isEmpty)
    }

    func testMalformedCounterIsParseError() throws {
        for content in ["26\n", "0xzz\n", "\n", "0x\n"] {
            let tree = try makeTree()
            try tree.write("block/sda/device/ioerr_cnt", content)

            let sink = try run(tree)

            XCTAssertNil(HardwareHarness.values(sink)[#"ember_block_io_errors_total{device="sda"}"#], content)
            XCTAssertEqual(HardwareHarness.values(sink)[#"ember_block_io_requests_total{device="sda"}"#], 193_761)
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("block/sda/device/ioerr_cnt")], content)
        }
    }

    func testReadErrorsOmitOnlyTheirSeries() throws {
        for code in [EIO, EINVAL, EAGAIN, ENODATA] {
            let tree = try makeTree()
            let fileSystem = FaultInjectingFileSystem()
            fileSystem.inject(code, at: tree.path("fs/ext4/sda1/errors_count"))

            let sink = try run(tree, fileSystem: fileSystem)

            let values = HardwareHarness.values(sink)
            XCTAssertNil(values[#"ember_ext4_errors_total{device="sda1"}"#])
            XCTAssertEqual(values[#"ember_ext4_errors_total{device="mmcblk0p2"}"#], 0)
            XCTAssertEqual(HardwareHarness.errorCodes(sink), [code])
        }
    }

    func testUnlistableBlockDirectoryIsRecorded() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("block"))

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
        XCTAssertEqual(HardwareHarness.values(sink)[#"ember_ext4_errors_total{device="sda1"}"#], 3)
    }

    func testMissingSourcesAddNothing() throws {
        let sink = try run(try HardwareTree())

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }
}
