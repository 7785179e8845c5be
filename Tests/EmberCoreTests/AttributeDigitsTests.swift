import EmberCore
import Foundation
import XCTest

/// `integer` and `unsigned` parse plain digits from the bytes read and leave everything else to
/// `Int64(_:)` and `UInt64(_:)`. These tests read a table of contents both ways and compare.
final class AttributeDigitsTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "ember-digits-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let contents: [[UInt8]] = [
        "0\n", "42\n", "42", "42 \n\0", "-42\n", "-0\n", "+7\n", "-\n", "", "\n", " 42\n", "4 2\n", "0x1a\n",
        "18446744073709551615\n", "18446744073709551616\n", "9223372036854775807\n", "9223372036854775808\n",
        "-9223372036854775808\n", "-9223372036854775809\n", "00012\n", "12\r\n", "1\n2\n", "١٢\n",
    ].map { Array($0.utf8) } + [[0x31, 0xC0, 0x0A], [0x00], [0x2D, 0x00]]

    func testIntegerMatchesInt64Parsing() throws {
        let reader = SourceReader(roots: SourceRoots(sysfs: directory))
        for (index, bytes) in Self.contents.enumerated() {
            let path = directory + "/value\(index)"
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let text = try reader.string(path)

            let result = Result { try reader.integer(path) }

            if let expected = Int64(text) {
                XCTAssertEqual(try result.get(), expected, "content \(bytes)")
            } else {
                XCTAssertThrowsError(try result.get(), "content \(bytes)") { error in
                    XCTAssertEqual((error as? ParseError)?.content, text, "content \(bytes)")
                }
            }
        }
    }

    func testUnsignedMatchesUInt64Parsing() throws {
        let reader = SourceReader(roots: SourceRoots(sysfs: directory))
        for (index, bytes) in Self.contents.enumerated() {
            let path = directory + "/value\(index)"
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let text = try reader.string(path)

            let result = Result { try reader.unsigned(path) }

            if let expected = UInt64(text) {
                XCTAssertEqual(try result.get(), expected, "content \(bytes)")
            } else {
                XCTAssertThrowsError(try result.get(), "content \(bytes)") { error in
                    XCTAssertEqual((error as? ParseError)?.content, text, "content \(bytes)")
                }
            }
        }
    }

    func testStringMatchesAttributeString() throws {
        let reader = SourceReader(roots: SourceRoots(sysfs: directory))
        for (index, bytes) in Self.contents.enumerated() {
            let path = directory + "/value\(index)"
            FileManager.default.createFile(atPath: path, contents: Data(bytes))

            XCTAssertEqual(try reader.string(path), Text.attributeString(bytes), "content \(bytes)")
        }
    }
}
