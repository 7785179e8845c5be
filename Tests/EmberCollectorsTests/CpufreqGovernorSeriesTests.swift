@testable import EmberCollectors
import XCTest

final class CpufreqGovernorSeriesTests: XCTestCase {
    func testFollowsChangedFiles() {
        let governors = CpufreqGovernorSeries()

        let first = governors.series(available: "performance schedutil", current: "schedutil", cpu: "0")
        let switched = governors.series(available: "performance schedutil", current: "performance", cpu: "0")
        let unlisted = governors.series(available: nil, current: "userspace", cpu: "0")

        XCTAssertEqual(first.map(\.labels), [["0", "performance"], ["0", "schedutil"]])
        XCTAssertEqual(first.map(\.value), [0, 1])
        XCTAssertEqual(switched.map(\.value), [1, 0])
        XCTAssertEqual(unlisted.map(\.labels), [["0", "userspace"]])
        XCTAssertEqual(unlisted.map(\.value), [1])
    }
}
