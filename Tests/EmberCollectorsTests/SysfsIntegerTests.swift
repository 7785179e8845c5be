@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

final class SysfsIntegerTests: XCTestCase {
    /// Contents for which the byte path and the text path must agree, value or error.
    private let contents = [
        "42\n", "-7\n", "0\n", "-0\n", " 5\n", "+3\n", "12 \n", "1\0\n", "0x10\n", "\n", "", "-", "--1",
        "999999999999999999\n", "9223372036854775807\n", "9223372036854775808\n", "-9223372036854775808\n",
        "1 2\n", "4\u{e9}\n",
    ]

    func testMatchesParsedText() throws {
        let tree = try HardwareTree()
        let reader = SourceReader(roots: tree.roots)
        for (index, content) in contents.enumerated() {
            let file = "class/test/value\(index)"
            try tree.write(file, content)
            let path = tree.path(file)

            let expected = Result { try SysfsClass.parseInteger(try reader.string(path), path: path) }
            let actual = Result { try SysfsClass.integer(path, reader: reader) }

            switch (expected, actual) {
            case (.success(let expectedValue), .success(let actualValue)):
                XCTAssertEqual(actualValue, expectedValue, content.debugDescription)
            case (.failure(let expectedError as ParseError), .failure(let actualError as ParseError)):
                XCTAssertEqual(actualError, expectedError, content.debugDescription)
            default:
                XCTFail("\(content.debugDescription): \(actual) where the text path gives \(expected)")
            }
        }
    }

    func testMissingOptionalIsNil() throws {
        let tree = try HardwareTree()
        let reader = SourceReader(roots: tree.roots)

        XCTAssertNil(try SysfsClass.optionalInteger(tree.path("class/test/absent"), reader: reader))
        XCTAssertThrowsError(try SysfsClass.integer(tree.path("class/test/absent"), reader: reader))
    }
}
