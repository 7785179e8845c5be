#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// ``DeviceEvents``: a layout cache rescans when the kernel announces a device, and the real
/// uevent socket counts device moves apart from the "change" events that add no file.
final class DeviceEventsTests: XCTestCase {
    private var tree: TemporaryTree!
    private var clock: ManualClock!
    private var counting: CountingFileSystem!

    override func setUpWithError() throws {
        tree = try TemporaryTree()
        try FileManager.default.createDirectory(atPath: tree.directory + "/hwmon0", withIntermediateDirectories: true)
        clock = ManualClock()
        counting = CountingFileSystem(base: SystemFileSystem())
    }

    private func addDevice(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: tree.directory + "/" + name, withIntermediateDirectories: true)
    }

    func testAnnouncedDeviceIsListedBeforeTheInterval() throws {
        let events = DeviceEvents()
        let cache = TreeLayoutCache(base: counting, intervalSeconds: 60, clock: clock, events: events)
        XCTAssertEqual(try cache.listDirectory(tree.directory), ["hwmon0"])
        try addDevice("hwmon1")

        clock.advance(seconds: 1)
        XCTAssertEqual(try cache.listDirectory(tree.directory), ["hwmon0"], "no announcement, no rescan")

        events.noteDeviceChange()
        XCTAssertEqual(try cache.listDirectory(tree.directory).sorted(), ["hwmon0", "hwmon1"])
        XCTAssertEqual(cache.rescans, 2)

        // One announcement starts one rescan, however many calls follow it.
        XCTAssertEqual(try cache.listDirectory(tree.directory).sorted(), ["hwmon0", "hwmon1"])
        XCTAssertEqual(counting.reads(of: tree.directory), 2)
        XCTAssertEqual(cache.rescans, 2)
    }

    func testAnnouncementBeforeCreationIsNotReplayed() throws {
        let events = DeviceEvents()
        events.noteDeviceChange()
        let cache = TreeLayoutCache(base: counting, intervalSeconds: 60, clock: clock, events: events)
        XCTAssertEqual(try cache.listDirectory(tree.directory), ["hwmon0"])
        XCTAssertEqual(cache.rescans, 1)
    }

    func testEveryCacheSeesTheSameAnnouncement() throws {
        let events = DeviceEvents()
        let first = TreeLayoutCache(base: counting, intervalSeconds: 60, clock: clock, events: events)
        let second = TreeLayoutCache(base: counting, intervalSeconds: 60, clock: clock, events: events)
        _ = try first.listDirectory(tree.directory)
        _ = try second.listDirectory(tree.directory)

        events.noteDeviceChange()
        _ = try first.listDirectory(tree.directory)
        _ = try second.listDirectory(tree.directory)
        XCTAssertEqual(first.rescans, 2)
        XCTAssertEqual(second.rescans, 2)
    }

    func testIntervalStillRescansWithoutAnnouncements() throws {
        let cache = TreeLayoutCache(base: counting, intervalSeconds: 60, clock: clock, events: DeviceEvents())
        _ = try cache.listDirectory(tree.directory)
        try addDevice("hwmon1")

        clock.advance(seconds: 60)
        XCTAssertEqual(try cache.listDirectory(tree.directory).sorted(), ["hwmon0", "hwmon1"])
    }

    func testPollWithoutSocketLeavesGeneration() {
        let events = DeviceEvents()
        events.poll()
        XCTAssertEqual(events.generation.load(ordering: .relaxed), 0)
    }

    /// Writing an action to a device's `uevent` file makes the kernel send that uevent. Needs root
    /// and a writable /sys; skipped elsewhere.
    func testKernelAddMovesGenerationAndChangeDoesNot() throws {
        let trigger = "/sys/class/net/lo/uevent"
        try XCTSkipUnless(getuid() == 0 && access(trigger, W_OK) == 0, "needs root and a writable \(trigger)")
        let events = try XCTUnwrap(DeviceEvents.listen(logger: Logger(level: .error)), "the uevent socket did not open")

        try "change".write(toFile: trigger, atomically: false, encoding: .utf8)
        XCTAssertTrue(waitForMessages(events, count: 1), "the change uevent did not arrive")
        XCTAssertEqual(events.generation.load(ordering: .relaxed), 0, "a change uevent moved the generation")

        try "add".write(toFile: trigger, atomically: false, encoding: .utf8)
        XCTAssertTrue(waitForMessages(events, count: 2), "the add uevent did not arrive")
        XCTAssertEqual(events.generation.load(ordering: .relaxed), 1)
    }

    /// Polls for up to two seconds until `count` uevents were read in all. Other processes can
    /// make the kernel send uevents meanwhile, so at least `count` is enough.
    private func waitForMessages(_ events: DeviceEvents, count: UInt64) -> Bool {
        for _ in 0..<200 {
            events.poll()
            if events.received.load(ordering: .relaxed) >= count {
                return true
            }
            usleep(10_000)
        }
        return false
    }
}
