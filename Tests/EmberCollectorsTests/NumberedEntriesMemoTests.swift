@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

final class NumberedEntriesMemoTests: XCTestCase {
    func testNumericOrderAndFilter() throws {
        let tree = try HardwareTree()
        for name in ["cpu10", "cpu2", "cpu0", "cpufreq", "cpuidle", "online"] {
            try tree.makeDirectory("devices/system/cpu/" + name)
        }
        let reader = SourceReader(roots: tree.roots)
        var memo = NumberedEntriesMemo(prefix: "cpu")

        let entries = try memo.entries(of: tree.path("devices/system/cpu"), reader: reader)

        XCTAssertEqual(entries, ["cpu0", "cpu2", "cpu10"])
        XCTAssertEqual(entries, try reader.numberedSysfsEntries(tree.path("devices/system/cpu"), prefix: "cpu"))
    }

    func testFollowsChangedListing() throws {
        let tree = try HardwareTree()
        try tree.makeDirectory("devices/system/cpu/cpu0")
        let reader = SourceReader(roots: tree.roots)
        var memo = NumberedEntriesMemo(prefix: "cpu")

        let before = try memo.entries(of: tree.path("devices/system/cpu"), reader: reader)
        try tree.makeDirectory("devices/system/cpu/cpu1")
        reader.fileSystem.rescan()
        let after = try memo.entries(of: tree.path("devices/system/cpu"), reader: reader)

        XCTAssertEqual(before, ["cpu0"])
        XCTAssertEqual(after, ["cpu0", "cpu1"])
    }

    func testMissingDirectoryIsEmpty() throws {
        let tree = try HardwareTree()
        var memo = NumberedEntriesMemo(prefix: "policy")

        let entries = try memo.entries(of: tree.path("devices/system/cpu/cpufreq"), reader: SourceReader(roots: tree.roots))

        XCTAssertEqual(entries, [])
    }
}

final class LabelPairMemoTests: XCTestCase {
    func testFollowsChangedValues() {
        let memo = LabelPairMemo()

        XCTAssertEqual(memo.values("0", "WFI"), ["0", "WFI"])
        XCTAssertEqual(memo.values("0", "WFI"), ["0", "WFI"])
        XCTAssertEqual(memo.values("0", "cpu-sleep"), ["0", "cpu-sleep"])
        XCTAssertEqual(memo.values("1", "cpu-sleep"), ["1", "cpu-sleep"])
    }
}
