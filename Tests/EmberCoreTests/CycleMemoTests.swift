import EmberCore
import XCTest

/// ``CycleMemo``: one computation per key within a cycle, none kept between cycles.
final class CycleMemoTests: XCTestCase {
    private struct Failure: Error {}

    func testComputesOncePerCycle() {
        let memo = CycleMemo()
        var computed = 0
        memo.startCycle()
        XCTAssertEqual(memo.value("stat") { computed += 1; return 7 }, 7)
        XCTAssertEqual(memo.value("stat") { computed += 1; return 8 }, 7)
        XCTAssertEqual(computed, 1)
    }

    func testNextCycleComputesAgain() {
        let memo = CycleMemo()
        memo.startCycle()
        _ = memo.value("stat") { 7 }
        memo.endCycle()
        memo.startCycle()
        XCTAssertEqual(memo.value("stat") { 8 }, 8)
    }

    func testOutsideCycleNothingIsKept() {
        let memo = CycleMemo()
        XCTAssertEqual(memo.value("stat") { 7 }, 7)
        XCTAssertEqual(memo.value("stat") { 8 }, 8)

        memo.startCycle()
        _ = memo.value("stat") { 9 }
        memo.endCycle()
        XCTAssertEqual(memo.value("stat") { 10 }, 10, "an ended cycle keeps nothing")
    }

    func testFailureIsNotKept() throws {
        let memo = CycleMemo()
        memo.startCycle()
        XCTAssertThrowsError(try memo.value("stat") { () throws -> Int in throw Failure() })
        XCTAssertEqual(try memo.value("stat") { 7 }, 7)
    }

    func testKeysAreSeparate() {
        let memo = CycleMemo()
        memo.startCycle()
        _ = memo.value("a") { 1 }
        XCTAssertEqual(memo.value("b") { 2 }, 2)
    }

    func testNilMemoComputesEachTime() {
        let memo: CycleMemo? = nil
        XCTAssertEqual(memo.value("stat") { 7 }, 7)
        XCTAssertEqual(memo.value("stat") { 8 }, 8)
    }
}
