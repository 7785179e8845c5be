@testable import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// A read that fails with ENODEV, the error of a removed device's attribute, closes the kept
/// files of that device's directory too, so that settled attributes, which no later sample reads,
/// do not stay open.
final class KeptDescriptorsRemovalTests: XCTestCase {
    func testDirectoryOfRemovedDeviceIsClosed() throws {
        let tree = try TemporaryTree()
        for path in ["probe0/mtu", "probe0/address", "probe0/statistics/rx_bytes", "eth0/mtu"] {
            try tree.write("1\n", at: path)
        }
        let allowance = DescriptorAllowance(limit: 16)
        let kept = KeptDescriptors(allowance: allowance)
        for path in ["probe0/mtu", "probe0/address", "probe0/statistics/rx_bytes", "eth0/mtu"] {
            let descriptor = open(tree.path(path), O_RDONLY)
            XCTAssertTrue(kept.keep(descriptor, for: tree.path(path)))
        }
        XCTAssertEqual(kept.count, 4)

        kept.closeDirectory(of: tree.path("probe0/carrier"))

        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(allowance.inUse, 1)
        XCTAssertNil(try kept.descriptor(for: tree.path("probe0/address")))
        XCTAssertNil(try kept.descriptor(for: tree.path("probe0/statistics/rx_bytes")))
        XCTAssertNotNil(try kept.descriptor(for: tree.path("eth0/mtu")))
    }
}
