import EmberCore
import XCTest

final class TextTests: XCTestCase {
    func testValidUTF8IsUnchanged() {
        XCTAssertEqual(Text.decodeReplacingInvalid(Array("Orange Pi 5 Plus °C".utf8)), "Orange Pi 5 Plus °C")
    }

    func testRunOfInvalidBytesBecomesOneReplacement() {
        XCTAssertEqual(Text.decodeReplacingInvalid(Array("BAT".utf8) + [0xC0, 0xC0]), "BAT\u{FFFD}")
        XCTAssertEqual(Text.decodeReplacingInvalid([0xFF, 0xFE, 0x41, 0x80, 0x42]), "\u{FFFD}A\u{FFFD}B")
    }

    func testTruncatedSequenceIsReplaced() {
        // The first two bytes of the three-byte "°" would be a truncated read.
        XCTAssertEqual(Text.decodeReplacingInvalid([0x41, 0xE2, 0x82]), "A\u{FFFD}")
    }

    func testSurrogatesAndOverlongFormsAreInvalid() {
        XCTAssertEqual(Text.decodeReplacingInvalid([0xED, 0xA0, 0x80]), "\u{FFFD}")
        XCTAssertEqual(Text.decodeReplacingInvalid([0xC1, 0xBF]), "\u{FFFD}")
        XCTAssertEqual(Text.decodeReplacingInvalid([0xF0, 0x80, 0x80, 0x80]), "\u{FFFD}")
    }

    func testAttributeStringDropsNewlineAndPadding() {
        XCTAssertEqual(Text.attributeString(Array("soc-thermal\n".utf8)), "soc-thermal")
        XCTAssertEqual(Text.attributeString(Array("SanDisk Ultra 3D NVMe                   \n".utf8)),
                       "SanDisk Ultra 3D NVMe")
        XCTAssertEqual(Text.attributeString(Array("Xunlong Orange Pi 5 Plus".utf8) + [0]), "Xunlong Orange Pi 5 Plus")
        XCTAssertEqual(Text.attributeString([]), "")
    }
}
