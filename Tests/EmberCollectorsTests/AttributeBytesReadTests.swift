@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import XCTest

final class AttributeBytesReadTests: XCTestCase {
    func testParsedContentGivesValue() throws {
        let tree = try HardwareTree()
        try tree.write("class/test/value", "-42\n")
        let reader = SourceReader(roots: tree.roots)

        let result = try AttributeBytes.read(tree.path("class/test/value"), from: reader.fileSystem) {
            AttributeBytes.decimalInteger($0)
        }

        guard case .parsed(let value) = result else { return XCTFail("expected a value, got \(result)") }
        XCTAssertEqual(value, -42)
    }

    /// The parser gets the content without the trailing newline, but rejected content is returned
    /// whole, so the text path reports it as before.
    func testRejectedContentGivesAllBytes() throws {
        let tree = try HardwareTree()
        try tree.write("class/test/value", "<unknown>\n")
        let reader = SourceReader(roots: tree.roots)
        var parsed: [UInt8] = []

        let result = try AttributeBytes.read(tree.path("class/test/value"), from: reader.fileSystem) { content -> Int64? in
            parsed = Array(content)
            return nil
        }

        guard case .unparsed(let bytes) = result else { return XCTFail("expected bytes, got \(result)") }
        XCTAssertEqual(bytes, Array("<unknown>\n".utf8))
        XCTAssertEqual(parsed, Array("<unknown>".utf8))
    }

    func testMissingFileThrowsNotFound() throws {
        let tree = try HardwareTree()
        let reader = SourceReader(roots: tree.roots)
        var parserRan = false

        XCTAssertThrowsError(
            try AttributeBytes.read(tree.path("class/test/absent"), from: reader.fileSystem) { _ -> Int64? in
                parserRan = true
                return 0
            }
        ) { error in
            XCTAssertTrue((error as? FileError)?.isNotFound ?? false, "\(error)")
        }
        XCTAssertFalse(parserRan)
    }
}
