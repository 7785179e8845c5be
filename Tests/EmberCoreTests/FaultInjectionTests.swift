import EmberCore
import EmberTestSupport
import XCTest

/// Each injected fault, read through the real reader, gives an error or the right value.
final class FaultInjectionTests: XCTestCase {
    private var tree: TemporaryTree!
    private var faults: FaultInjectingFileSystem!
    private var reader: SourceReader!

    override func setUpWithError() throws {
        tree = try TemporaryTree()
        try tree.write("45000\n", at: "sys/class/thermal/thermal_zone0/temp")
        try tree.write("soc-thermal\n", at: "sys/class/thermal/thermal_zone0/type")
        faults = FaultInjectingFileSystem(base: SystemFileSystem(readTimeoutSeconds: 0.2))
        reader = SourceReader(roots: tree.roots, fileSystem: faults)
    }

    private var tempPath: String { tree.path("sys/class/thermal/thermal_zone0/temp") }

    private func fileError(_ body: () throws -> Int64) -> FileError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? FileError
        }
    }

    func testOpenErrorFailsOpen() {
        faults.injectOpenError(EINVAL, at: tempPath)

        let error = fileError { try reader.integer(tempPath) }

        XCTAssertEqual(error?.operation, "open")
        XCTAssertEqual(error?.code, EINVAL)
    }

    func testReadErrorFailsRead() {
        faults.injectReadError(ENODATA, at: tempPath)

        let error = fileError { try reader.integer(tempPath) }

        XCTAssertEqual(error?.operation, "read")
        XCTAssertEqual(error?.code, ENODATA)
    }

    func testReadErrorOnMissingFileFailsOpen() {
        let missing = tree.path("sys/class/thermal/thermal_zone0/missing")
        faults.injectReadError(EIO, at: missing)

        let error = fileError { try reader.integer(missing) }

        XCTAssertEqual(error?.operation, "open")
        XCTAssertEqual(error?.code, ENOENT)
    }

    /// A short read at every byte of "45000\n" gives 45000, never 4, 45, 450 or 4500.
    func testShortReadGivesWholeValue() throws {
        for count in 0...6 {
            faults.injectShortRead(count, at: tempPath)

            XCTAssertEqual(try reader.integer(tempPath), 45000, "first read returned \(count) bytes")
        }
    }

    func testShortReadOfTableGivesWholeFile() throws {
        let table = "cpu  10 20 30\ncpu0 1 2 3\nintr 5\n"
        try tree.write(table, at: "proc/stat")
        faults.injectShortRead(7, at: tree.path("proc/stat"))

        XCTAssertEqual(try reader.table(tree.path("proc/stat")), table)
    }

    func testVanishedFileStaysListed() throws {
        faults.injectVanished(at: tempPath)

        XCTAssertEqual(try reader.entries(tree.path("sys/class/thermal/thermal_zone0")), ["temp", "type"])
        XCTAssertFalse(reader.exists(tempPath))
        XCTAssertEqual(fileError { try reader.integer(tempPath) }?.code, ENOENT)
    }

    func testVanishedDirectoryTakesItsFiles() throws {
        faults.injectVanished(at: tree.path("sys/class/thermal/thermal_zone0"))

        XCTAssertEqual(try reader.entries(tree.path("sys/class/thermal")), ["thermal_zone0"])
        XCTAssertEqual(fileError { try reader.integer(tempPath) }?.code, ENOENT)
        XCTAssertThrowsError(try reader.string(tree.path("sys/class/thermal/thermal_zone0/type")))
        XCTAssertThrowsError(try reader.entries(tree.path("sys/class/thermal/thermal_zone0")))
    }

    func testInjectFailsEveryOperationButStat() {
        faults.inject(EACCES, at: tempPath)

        XCTAssertEqual(fileError { try reader.integer(tempPath) }?.code, EACCES)
        XCTAssertTrue(reader.exists(tempPath))
    }

    func testRemovedFaultReadsFile() throws {
        faults.injectOpenError(EIO, at: tempPath)
        faults.removeFault(at: tempPath)

        XCTAssertEqual(try reader.integer(tempPath), 45000)
    }
}
