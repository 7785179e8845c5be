import XCTest

@testable import EmberHistory

final class SeriesTableTests: XCTestCase {
    func testSetInsertsAndReplaces() {
        var table = SeriesTable<Int>()

        XCTAssertEqual(table.set(1, for: "a"), 0)
        XCTAssertEqual(table.set(2, for: "b"), 1)
        XCTAssertEqual(table.set(3, for: "a"), 0)

        XCTAssertEqual(table.count, 2)
        XCTAssertEqual(table["a"], 3)
        XCTAssertEqual(table["b"], 2)
        XCTAssertNil(table["c"])
    }

    func testRemoveAllKeepsIndexConsistent() {
        var table = SeriesTable<Int>()
        for number in 0..<1000 {
            table.set(number, for: "series\(number)")
        }

        table.removeAll { _, value in value % 3 == 0 }

        XCTAssertEqual(table.count, 666)
        XCTAssertEqual(table.keys.first, "series1")
        for number in 0..<1000 {
            XCTAssertEqual(table["series\(number)"], number % 3 == 0 ? nil : number, "series\(number)")
        }
    }

    func testPositionSubscriptChangesInPlace() {
        var table = SeriesTable<[Int]>()
        let position = table.set([1], for: "a")

        table[position: position].append(2)

        XCTAssertEqual(table["a"], [1, 2])
    }

    func testGrowthLeavesAtMostAnEighthFree() {
        var table = SeriesTable<Int>()
        for number in 0..<1085 {
            table.set(number, for: "s\(number)")
        }

        XCTAssertLessThanOrEqual(table.values.capacity, 1085 + 1085 / 8 + 32)
    }

    func testIndexFindsEveryKeyAfterGrowth() {
        var table = SeriesTable<Int>()
        for number in 0..<1103 {
            XCTAssertEqual(table.set(number, for: "node_cpu_seconds_total\u{1}\(number)"), number)
        }

        for number in 0..<1103 {
            XCTAssertEqual(table["node_cpu_seconds_total\u{1}\(number)"], number)
        }
        XCTAssertNil(table["node_cpu_seconds_total\u{1}1103"])
        XCTAssertNil(table[""])
    }

    func testIndexTakesFourBytesPerSlot() {
        var table = SeriesTable<Int>()
        for number in 0..<1103 {
            table.set(number, for: "s\(number)")
        }
        let valuesAndKeys = StorageBreakdown.arraySize(capacity: table.values.capacity, stride: 8)
            + StorageBreakdown.arraySize(capacity: table.keys.capacity, stride: 16)

        // 2048 slots of 4 bytes, the smallest power of two at most three quarters full. An array's
        // capacity is what malloc's chunk fits, and a reused free chunk can be a few bytes larger.
        let index = table.allocatedByteEstimate - valuesAndKeys
        XCTAssertGreaterThanOrEqual(index, StorageBreakdown.arraySize(capacity: 2048, stride: 4))
        XCTAssertLessThanOrEqual(index, StorageBreakdown.arraySize(capacity: 2048, stride: 4) + 32)
    }
}

