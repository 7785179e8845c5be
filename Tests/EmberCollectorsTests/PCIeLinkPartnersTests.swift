@testable import EmberCollectors
import XCTest

/// A function whose link trained at `trained` (GT/s, lanes) and whose port supports `max`.
private func function(
    _ address: String, parent: String? = nil, bridge: Bool = false, max: (Double?, Int?), trained: (Double, Int)
) -> PCIDeviceReading {
    var device = PCIDeviceReading(address: PCIAddress(address)!)
    device.parent = parent.flatMap(PCIAddress.init)
    device.identity = PCIIdentity(vendor: 0x1d87, device: 0x3588, classCode: bridge ? 0x060400 : 0x010802)
    device.link = PCIeLink(currentSpeed: trained.0, currentWidth: trained.1, maxSpeed: max.0, maxWidth: max.1)
    return device
}

/// The downgrade flag of every function after pairing, by address.
private func downgrades(_ devices: [PCIDeviceReading]) -> [String: Bool?] {
    Dictionary(uniqueKeysWithValues: PCIeLinkPartners.assign(devices).map { ($0.address.description, $0.link.isDowngraded) })
}

final class PCIeLinkPartnersTests: XCTestCase {
    /// A Gen 3 x4 drive in a Gen 2 x1 slot trains at the slot's maximum: nothing is lost.
    func testCardAbovePortCapability() {
        let flags = downgrades([
            function("0000:00:00.0", bridge: true, max: (5, 1), trained: (5, 1)),
            function("0000:01:00.0", parent: "0000:00:00.0", max: (8, 4), trained: (5, 1)),
        ])

        XCTAssertEqual(flags["0000:00:00.0"], false)
        XCTAssertEqual(flags["0000:01:00.0"], false)
    }

    /// A Gen 1 x1 Wi-Fi card below a Gen 2 x1 port, as on the Orange Pi 5 Plus E-key slot: the port
    /// alone is below its own maximum, but the link runs at the card's.
    func testPortAboveCardCapability() {
        let flags = downgrades([
            function("0002:20:00.0", bridge: true, max: (5, 1), trained: (2.5, 1)),
            function("0002:21:00.0", parent: "0002:20:00.0", max: (2.5, 1), trained: (2.5, 1)),
        ])

        XCTAssertEqual(flags["0002:20:00.0"], false)
        XCTAssertEqual(flags["0002:21:00.0"], false)
    }

    /// Both ends support 8 GT/s x4 and the link trained at 5 GT/s x2, as with a bad riser.
    func testLinkBelowBothEnds() {
        let flags = downgrades([
            function("0000:00:00.0", bridge: true, max: (8, 4), trained: (5, 2)),
            function("0000:01:00.0", parent: "0000:00:00.0", max: (8, 4), trained: (5, 2)),
        ])

        XCTAssertEqual(flags["0000:00:00.0"], true)
        XCTAssertEqual(flags["0000:01:00.0"], true)
    }

    /// Speed and width are judged separately: full speed on half the lanes both ends have.
    func testWidthAloneBelowBothEnds() {
        let flags = downgrades([
            function("0000:00:00.0", bridge: true, max: (8, 4), trained: (8, 2)),
            function("0000:01:00.0", parent: "0000:00:00.0", max: (16, 4), trained: (8, 2)),
        ])

        XCTAssertEqual(flags["0000:00:00.0"], true)
        XCTAssertEqual(flags["0000:01:00.0"], true)
    }

    /// Without the other end's maximum, each end is judged against its own, as before pairing.
    func testUnknownPartnerFallsBackToOwnMaximum() {
        let flags = downgrades([
            function("0000:00:00.0", bridge: true, max: (8, 4), trained: (2.5, 1)),
            function("0000:01:00.0", parent: "0000:00:00.0", max: (nil, nil), trained: (2.5, 1)),
            function("0001:11:00.0", parent: "0001:10:00.0", max: (8, 4), trained: (2.5, 1)),
        ])

        XCTAssertEqual(flags["0000:00:00.0"], true, "the card below exports no maximum")
        XCTAssertEqual(flags["0000:01:00.0"], Bool?.none, "its own maximum is unknown")
        XCTAssertEqual(flags["0001:11:00.0"], true, "its parent is not among the readings")
    }

    /// The other end's speed may be known when its width is not, so each falls back on its own.
    func testPartnerWidthUnknownSpeedKnown() {
        let paired = PCIeLinkPartners.assign([
            function("0000:00:00.0", bridge: true, max: (8, 4), trained: (2.5, 2)),
            function("0000:01:00.0", parent: "0000:00:00.0", max: (2.5, nil), trained: (2.5, 2)),
        ])

        XCTAssertEqual(paired[0].link.capableSpeed, 2.5)
        XCTAssertEqual(paired[0].link.capableWidth, 4)
        XCTAssertEqual(paired[0].link.isDowngraded, true, "x2 of x4")
    }

    /// An empty slot trains at the lowest speed and width without a downgrade.
    func testInactiveLinkHasNoFlag() {
        var port = function("0000:00:00.0", bridge: true, max: (8, 4), trained: (2.5, 1))
        port.link.isActive = false

        XCTAssertEqual(downgrades([port])["0000:00:00.0"], Bool?.none)
    }

    /// A switch's upstream port shares its link with the root port above it, and each downstream
    /// port shares one with the device below it. The link inside the switch is not a PCIe link.
    func testSwitchPortsPairAcrossTheirLinks() {
        let flags = downgrades([
            function("0000:00:00.0", bridge: true, max: (8, 4), trained: (8, 2)),
            function("0000:01:00.0", parent: "0000:00:00.0", bridge: true, max: (8, 4), trained: (8, 2)),
            function("0000:02:01.0", parent: "0000:01:00.0", bridge: true, max: (8, 1), trained: (2.5, 1)),
            function("0000:02:02.0", parent: "0000:01:00.0", bridge: true, max: (8, 1), trained: (8, 1)),
            function("0000:03:00.0", parent: "0000:02:01.0", max: (2.5, 1), trained: (2.5, 1)),
            function("0000:04:00.0", parent: "0000:02:02.0", max: (8, 1), trained: (8, 1)),
        ])

        XCTAssertEqual(flags["0000:00:00.0"], true, "x2 of the x4 both the root port and the switch have")
        XCTAssertEqual(flags["0000:01:00.0"], true, "paired with the root port, not its downstream ports")
        XCTAssertEqual(flags["0000:02:01.0"], false, "paired with the Gen 1 card below, not the upstream port")
        XCTAssertEqual(flags["0000:03:00.0"], false)
        XCTAssertEqual(flags["0000:02:02.0"], false)
        XCTAssertEqual(flags["0000:04:00.0"], false)
    }

    /// Function 0 represents its device even when another function exports a lower maximum.
    func testMultiFunctionDeviceUsesFunctionZero() {
        let flags = downgrades([
            function("0000:00:00.0", bridge: true, max: (8, 4), trained: (2.5, 1)),
            function("0000:01:00.0", parent: "0000:00:00.0", max: (8, 4), trained: (2.5, 1)),
            function("0000:01:00.1", parent: "0000:00:00.0", max: (2.5, 1), trained: (2.5, 1)),
        ])

        XCTAssertEqual(flags["0000:00:00.0"], true)
    }

    /// Without function 0 among the readings, the highest maximum below the port is used.
    func testMultiFunctionDeviceWithoutFunctionZero() {
        let paired = PCIeLinkPartners.assign([
            function("0000:00:00.0", bridge: true, max: (8, 4), trained: (2.5, 1)),
            function("0000:01:00.1", parent: "0000:00:00.0", max: (2.5, 1), trained: (2.5, 1)),
            function("0000:01:00.2", parent: "0000:00:00.0", max: (5, 2), trained: (2.5, 1)),
        ])

        XCTAssertEqual(paired[0].link.capableSpeed, 5)
        XCTAssertEqual(paired[0].link.capableWidth, 2)
        XCTAssertEqual(paired[0].link.isDowngraded, true)
    }

    /// Bridges whose parents form a loop, as inconsistent bus numbers in a dump can make, still
    /// get a result.
    func testParentCycleEnds() {
        let paired = PCIeLinkPartners.assign([
            function("0000:01:00.0", parent: "0000:02:00.0", bridge: true, max: (8, 4), trained: (8, 4)),
            function("0000:02:00.0", parent: "0000:01:00.0", bridge: true, max: (8, 4), trained: (8, 4)),
        ])

        XCTAssertEqual(paired.map(\.link.isDowngraded), [false, false])
    }
}
