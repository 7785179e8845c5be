import EmberCore
import EmberTestSupport
import Foundation
import XCTest

final class SourceReaderTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "ember-reader-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ name: String, _ content: String) -> String {
        let path = directory + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(content.utf8))
        return path
    }

    func testIntegerAttribute() throws {
        let reader = SourceReader(roots: SourceRoots(sysfs: directory))

        XCTAssertEqual(try reader.integer(write("temp", "34230\n")), 34230)
        XCTAssertEqual(try reader.integer(write("min", "-273150\n")), -273150)
    }

    func testEmptyAndGarbageAreParseErrors() {
        let reader = SourceReader(roots: SourceRoots(sysfs: directory))

        XCTAssertThrowsError(try reader.integer(write("empty", ""))) { error in
            XCTAssertEqual((error as? ParseError)?.content, "")
        }
        XCTAssertThrowsError(try reader.integer(write("garbage", "hot\n"))) { error in
            XCTAssertEqual((error as? ParseError)?.content, "hot")
        }
    }

    func testMissingFileIsNotFound() throws {
        let reader = SourceReader(roots: SourceRoots(sysfs: directory))
        let path = directory + "/absent"

        XCTAssertThrowsError(try reader.string(path)) { error in
            XCTAssertEqual((error as? FileError)?.code, ENOENT)
            XCTAssertEqual((error as? FileError)?.isNotFound, true)
        }
        XCTAssertNil(try reader.optionalInteger(path))
    }

    func testOptionalReadStillThrowsOtherErrors() {
        let faults = FaultInjectingFileSystem()
        let path = write("temp2_max", "65000\n")
        faults.inject(EIO, at: path)
        let reader = SourceReader(roots: SourceRoots(sysfs: directory), fileSystem: faults)

        XCTAssertThrowsError(try reader.optionalInteger(path)) { error in
            XCTAssertEqual((error as? FileError)?.errnoName, "EIO")
        }
    }

    func testAttributeReadIsBounded() throws {
        let big = String(repeating: "x", count: SystemFileSystem.attributeLimit * 2)
        let path = write("big", big)

        let bytes = try SystemFileSystem().readAttribute(path)

        XCTAssertEqual(bytes.count, SystemFileSystem.attributeLimit)
    }

    func testWholeFileReadHasLimit() throws {
        let path = write("table", String(repeating: "y", count: 100_000))

        XCTAssertEqual(try SystemFileSystem().readFile(path, limit: 200_000).count, 100_000)
        XCTAssertThrowsError(try SystemFileSystem().readFile(path, limit: 1000))
    }

    func testLinkTargetsOfAnyLength() throws {
        let fileSystem = SystemFileSystem()
        for length in [1, 255, 256, 257, 1000] {
            let target = "../" + String(repeating: "d", count: length)
            let link = directory + "/link\(length)"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)

            XCTAssertEqual(try fileSystem.readLink(link), target, "target of \(target.utf8.count) bytes")
        }
    }

    func testMissingLinkIsNotFound() {
        XCTAssertThrowsError(try SystemFileSystem().readLink(directory + "/absent")) { error in
            XCTAssertEqual((error as? FileError)?.isNotFound, true)
        }
    }

    func testFileErrorDescriptionNamesPathAndErrno() {
        let error = FileError(operation: "read", path: "/sys/class/thermal/thermal_zone0/temp", code: EINVAL)

        XCTAssertEqual(error.description, "read /sys/class/thermal/thermal_zone0/temp: EINVAL (Invalid argument)")
    }

    func testRootsTrimTrailingSlash() {
        let roots = SourceRoots(sysfs: "/tmp/fixture/sys/", procfs: "/proc")

        XCTAssertEqual(roots.sys("class/hwmon"), "/tmp/fixture/sys/class/hwmon")
        XCTAssertEqual(roots.proc("stat"), "/proc/stat")
    }
}
