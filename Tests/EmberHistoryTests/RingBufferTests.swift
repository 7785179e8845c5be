import XCTest

@testable import EmberHistory

final class RingBufferTests: XCTestCase {
    func testCapacityRoundsUpToPowerOfTwo() {
        XCTAssertEqual(RingBuffer<Int>(minimumCapacity: 1).capacity, 1)
        XCTAssertEqual(RingBuffer<Int>(minimumCapacity: 5).capacity, 8)
        XCTAssertEqual(RingBuffer<Int>(minimumCapacity: 900).capacity, 1024)
    }

    func testAppendBelowCapacityKeepsOrder() {
        var ring = RingBuffer<Int>(minimumCapacity: 4)
        for value in 1...3 { ring.append(value) }

        XCTAssertEqual(ring.count, 3)
        XCTAssertEqual((0..<ring.count).map { ring[$0] }, [1, 2, 3])
        XCTAssertEqual(ring.first, 1)
        XCTAssertEqual(ring.last, 3)
    }

    func testWrapAroundOverwritesOldest() {
        var ring = RingBuffer<Int>(minimumCapacity: 4)
        for value in 1...10 { ring.append(value) }

        XCTAssertEqual(ring.count, 4)
        XCTAssertEqual((0..<ring.count).map { ring[$0] }, [7, 8, 9, 10])
        XCTAssertEqual(ring.testOnly_head, 10 % 4)
        XCTAssertTrue(ring.verifyInvariants())
    }

}
