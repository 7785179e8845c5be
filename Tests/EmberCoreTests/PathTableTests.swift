@testable import EmberCore
import XCTest

/// ``PathTable``: lookups by equal strings, growth, and removal inside a run of colliding paths.
final class PathTableTests: XCTestCase {
    /// Paths of equal length that differ only before the hashed tail, so they share one hash and
    /// one probe run.
    private func collidingPaths(_ count: Int) -> [String] {
        let tail = "/device/hwmon/hwmon0/temp1_input_and_more"
        return (0..<count).map { "/sys/devices/platform/sensor" + String(UnicodeScalar(UInt8(65 + $0))) + tail }
    }

    func testLookupByEqualString() {
        let table = PathTable<Int>()
        let stored = "/sys/class/hwmon/hwmon0/temp1_input"
        table.set(1, for: stored)

        // A string built anew has the same bytes at another address.
        let rebuilt = "/sys/class/hwmon/" + "hwmon0" + "/temp1_input"
        XCTAssertEqual(table[stored], 1)
        XCTAssertEqual(table[rebuilt], 1)
        XCTAssertNil(table["/sys/class/hwmon/hwmon0/temp2_input"])
        XCTAssertNil(table["/sys/class/hwmon/hwmon0/temp1_inpu"])
        XCTAssertEqual(table.count, 1)
    }

    func testShortAndEmptyPaths() {
        let table = PathTable<String>()
        table.set("short", for: "/a/b")
        table.set("empty", for: "")

        XCTAssertEqual(table["/a/b"], "short")
        XCTAssertEqual(table[""], "empty")
        XCTAssertNil(table["/a/c"])
    }

    func testSetReplacesValue() {
        let table = PathTable<Int>()
        table.set(1, for: "/proc/stat")
        table.set(2, for: "/proc/stat")

        XCTAssertEqual(table["/proc/stat"], 2)
        XCTAssertEqual(table.count, 1)
    }

    func testGrowthKeepsEveryPath() {
        let table = PathTable<Int>()
        let paths = (0..<500).map { "/sys/devices/system/cpu/cpu\($0)/cpufreq/scaling_cur_freq" }
        for (index, path) in paths.enumerated() {
            table.set(index, for: path)
        }

        XCTAssertEqual(table.count, 500)
        for (index, path) in paths.enumerated() {
            XCTAssertEqual(table[path], index, path)
        }
    }

    func testCollidingPathsStayDistinct() {
        let table = PathTable<Int>()
        let paths = collidingPaths(6)
        let hashes = Set(paths.map { path in Array(path.utf8).withUnsafeBytes { PathTable<Int>.hash($0) } })
        XCTAssertEqual(hashes.count, 1, "the test needs paths with one hash")

        for (index, path) in paths.enumerated() {
            table.set(index, for: path)
        }
        for (index, path) in paths.enumerated() {
            XCTAssertEqual(table[path], index, path)
        }
    }

    func testRemovalInsideProbeRun() {
        let table = PathTable<Int>()
        let paths = collidingPaths(6)
        for (index, path) in paths.enumerated() {
            table.set(index, for: path)
        }

        XCTAssertEqual(table.removeValue(for: paths[2]), 2)
        XCTAssertNil(table.removeValue(for: paths[2]))

        XCTAssertNil(table[paths[2]])
        XCTAssertEqual(table.count, 5)
        for index in [0, 1, 3, 4, 5] {
            XCTAssertEqual(table[paths[index]], index, "path \(index) after the removal of path 2")
        }
    }

    func testRemoveAllWhere() {
        let table = PathTable<Int>()
        for index in 0..<40 {
            table.set(index, for: "/sys/class/net/eth\(index)/statistics/rx_bytes")
        }

        table.removeAll { $0 % 2 == 1 }

        XCTAssertEqual(table.count, 20)
        XCTAssertEqual(table["/sys/class/net/eth4/statistics/rx_bytes"], 4)
        XCTAssertNil(table["/sys/class/net/eth5/statistics/rx_bytes"])
    }

    func testUpdateAllChangesAndRemovesValues() {
        let table = PathTable<Int>()
        let paths = collidingPaths(6)
        for (index, path) in paths.enumerated() {
            table.set(index, for: path)
        }

        table.updateAll { value in
            value *= 10
            return value != 20
        }

        XCTAssertEqual(table.count, 5)
        XCTAssertNil(table[paths[2]])
        for index in [0, 1, 3, 4, 5] {
            XCTAssertEqual(table[paths[index]], index * 10, "path \(index)")
        }
    }

    func testForEachVisitsEveryEntry() {
        let table = PathTable<Int>()
        table.set(1, for: "/sys/a")
        table.set(2, for: "/sys/class/power_supply/BAT0/energy_now")

        var visited: [String: Int] = [:]
        table.forEach { path, value in visited[path] = value }

        XCTAssertEqual(visited, ["/sys/a": 1, "/sys/class/power_supply/BAT0/energy_now": 2])
    }
}
