@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Glibc
import XCTest

final class RaplZoneNameTests: XCTestCase {
    func testSplitsNumericSuffix() {
        XCTAssertEqual(RaplZoneNamer.split("package-0"), RaplZoneName(name: "package", index: 0))
        XCTAssertEqual(RaplZoneNamer.split("package-12"), RaplZoneName(name: "package", index: 12))
        XCTAssertNil(RaplZoneNamer.split("core"))
        XCTAssertNil(RaplZoneNamer.split("package-x"))
        XCTAssertNil(RaplZoneNamer.split("a-b-1"))
        XCTAssertNil(RaplZoneNamer.split("package-"))
        XCTAssertEqual(RaplZoneNamer.split("-3"), RaplZoneName(name: "", index: 3))
    }

    func testRepeatedNamesCountUp() {
        var namer = RaplZoneNamer()
        XCTAssertEqual(namer.name(for: "package-0"), RaplZoneName(name: "package", index: 0))
        XCTAssertEqual(namer.name(for: "dram"), RaplZoneName(name: "dram", index: 0))
        XCTAssertEqual(namer.name(for: "dram"), RaplZoneName(name: "dram", index: 1))
        XCTAssertEqual(namer.name(for: "package"), RaplZoneName(name: "package", index: 1))
    }

    /// A suffix of Int.max must not trap when the namer counts the next zone of that name.
    func testLargestSuffixDoesNotOverflow() {
        var namer = RaplZoneNamer()
        XCTAssertEqual(namer.name(for: "package-9223372036854775807"), RaplZoneName(name: "package", index: .max))
        XCTAssertEqual(namer.name(for: "package"), RaplZoneName(name: "package", index: .max))
    }

    func testMetricNameSanitizing() {
        let cases = [
            ("core", "core"), ("psys", "psys"), ("a.b", "a_b"), ("a__b", "a__b"), ("a_.b", "a_b"),
            ("a-_-b", "a__b"), ("mmio package", "mmio_package"), ("x.", "x_"),
        ]
        for (raw, expected) in cases {
            XCTAssertEqual(RaplZoneName(name: raw, index: 0).metricName, expected, raw)
        }
    }
}

final class RaplCollectorTests: XCTestCase {
    private func run(_ tree: HardwareTree, fileSystem: any FileSystem = SystemFileSystem()) throws -> MetricSink {
        try HardwareHarness.run({ RaplCollector(context: $0) }, roots: tree.roots, fileSystem: fileSystem)
    }

    private func makeTree() throws -> HardwareTree {
        let tree = try HardwareTree()
        try tree.write("class/powercap/intel-rapl/enabled", "1\n")
        try tree.write("class/powercap/intel-rapl:0/name", "package-0\n")
        try tree.write("class/powercap/intel-rapl:0/energy_uj", "240422366267\n")
        try tree.write("class/powercap/intel-rapl:0:0/name", "core\n")
        try tree.write("class/powercap/intel-rapl:0:0/energy_uj", "1234567\n")
        try tree.write("class/powercap/dtpm/name", "dtpm\n")
        return tree
    }

    func testExportsKernelCounterInJoules() throws {
        let tree = try makeTree()

        let sink = try run(tree)
        let base = tree.path("class/powercap/")

        XCTAssertEqual(HardwareHarness.values(sink).filter { $0.key.hasPrefix("node_") }, [
            "node_rapl_package_joules_total{index=\"0\",path=\"\(base)intel-rapl:0\"}": 240422.366267,
            "node_rapl_core_joules_total{index=\"0\",path=\"\(base)intel-rapl:0:0\"}": 1.234567,
        ])
        XCTAssertEqual(
            value(sink, "ember_rapl_energy_joules_total", ["zone": "package", "index": "0"]),
            240422.366267, "the accumulated counter starts at the kernel's value")
        XCTAssertTrue(sink.errors.isEmpty, "a zone without energy_uj is not an error")
        XCTAssertTrue(sink.samples.allSatisfy { $0.descriptor.type == .counter })
    }

    func testPathLabelUsesConfiguredRootAsGiven() throws {
        let tree = try makeTree()
        let roots = SourceRoots(sysfs: tree.root + "/./sys/")

        let sink = try HardwareHarness.run({ RaplCollector(context: $0) }, roots: roots)

        XCTAssertTrue(sink.samples.allSatisfy { sample in
            let path = sample.labelValues[sample.descriptor.labelNames.firstIndex(of: "path")!]
            return path.hasPrefix(tree.root + "/./sys/class/powercap/")
        })
    }

    func testGarbageAndEmptyCountersAreOmitted() throws {
        for content in ["", "lots\n", "-5\n"] {
            let tree = try makeTree()
            try tree.write("class/powercap/intel-rapl:0:0/energy_uj", content)

            let sink = try run(tree)

            XCTAssertEqual(HardwareHarness.values(sink).count, 2, "the package zone's two series: \(content)")
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [tree.path("class/powercap/intel-rapl:0:0/energy_uj")])
        }
    }

    func testCounterTextIsTrimmedAsBefore() throws {
        for (content, microjoules) in [(" 1234567\n", 1234567.0), ("+25\n", 25), ("7\0\n", 7)] {
            let tree = try makeTree()
            try tree.write("class/powercap/intel-rapl:0:0/energy_uj", content)

            let sink = try run(tree)

            XCTAssertEqual(
                value(sink, "ember_rapl_energy_joules_total", ["zone": "core", "index": "0"]), microjoules / 1e6,
                content.debugDescription)
            XCTAssertEqual(HardwareHarness.errorPaths(sink), [], content.debugDescription)
        }
    }

    func testPermissionDeniedIsUnavailable() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        let path = tree.path("class/powercap/intel-rapl:0/energy_uj")
        fileSystem.inject(EACCES, at: path)

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(HardwareHarness.values(sink).count, 2)
        XCTAssertTrue(sink.errors.isEmpty)
        XCTAssertEqual(sink.unavailableSources.map(\.path), [path])
    }

    func testReadErrorIsRecorded() throws {
        let tree = try makeTree()
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.inject(EIO, at: tree.path("class/powercap/intel-rapl:0/energy_uj"))

        let sink = try run(tree, fileSystem: fileSystem)

        XCTAssertEqual(HardwareHarness.values(sink).count, 2)
        XCTAssertEqual(HardwareHarness.errorCodes(sink), [EIO])
    }

    func testMissingClassDirectoryAddsNothing() throws {
        let sink = try run(try HardwareTree())

        XCTAssertTrue(sink.samples.isEmpty)
        XCTAssertTrue(sink.errors.isEmpty)
    }
}
