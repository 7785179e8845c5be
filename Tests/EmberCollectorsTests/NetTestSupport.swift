import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// A temporary `sys`/`proc` tree built file by file, removed when the test ends.
final class NetTestTree {
    let base: String

    init() throws {
        base = FileManager.default.temporaryDirectory.path + "/ember-net-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: base + "/sys", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/proc", withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: base)
    }

    var roots: SourceRoots {
        SourceRoots(sysfs: base + "/sys", procfs: base + "/proc", debugfs: base + "/sys/kernel/debug",
                    devfs: base + "/dev")
    }

    /// Writes `content` to `relative` (such as `sys/class/net/eth0/mtu`), creating parent folders.
    func write(_ relative: String, _ content: String) throws {
        try write(relative, bytes: Array(content.utf8))
    }

    func write(_ relative: String, bytes: [UInt8]) throws {
        let path = base + "/" + relative
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Writes several attribute files under one folder, each with the kernel's trailing newline.
    func attributes(_ folder: String, _ values: [String: String]) throws {
        for (name, value) in values {
            try write(folder + "/" + name, value + "\n")
        }
    }

    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: base + "/" + relative, withIntermediateDirectories: true)
    }
}

/// A file system that fails chosen reads with a chosen errno and passes the rest to the real one.
final class NetFaultFileSystem: FileSystem {
    private let system = SystemFileSystem()
    /// Path suffix (such as `/eth0/carrier`) to the errno its reads fail with.
    var failures: [String: Int32] = [:]

    private func check(_ path: String) throws(FileError) {
        for (suffix, code) in failures where path.hasSuffix(suffix) {
            throw FileError(operation: "read", path: path, code: code)
        }
    }

    func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        try check(path)
        return try system.readAttribute(path)
    }

    func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        try check(path)
        return try system.readFile(path, limit: limit)
    }

    func listDirectory(_ path: String) throws(FileError) -> [String] { try system.listDirectory(path) }
    func readLink(_ path: String) throws(FileError) -> String { try system.readLink(path) }
    func resolvePath(_ path: String) throws(FileError) -> String { try system.resolvePath(path) }
    func fileKind(_ path: String) -> FileKind? { system.fileKind(path) }
}

/// Discards log lines.
struct NetNullLogSink: LogSink {
    func write(_ line: String) {}
}

enum NetTest {
    static func context(
        _ roots: SourceRoots, fileSystem: any FileSystem = SystemFileSystem(), options: [String: String] = [:]
    ) -> CollectorContext {
        CollectorContext(
            reader: SourceReader(roots: roots, fileSystem: fileSystem),
            logger: Logger(level: .error, sink: NetNullLogSink()),
            options: CollectorOptions(options))
    }

    /// Runs one update and returns the sink.
    static func run(_ collector: any Collector) throws -> MetricSink {
        var sink = MetricSink()
        try collector.update(into: &sink)
        return sink
    }

    /// Returns the sink's samples keyed as `name{label="value",…}` with labels sorted by name.
    static func values(_ sink: MetricSink) -> [String: Double] {
        var result: [String: Double] = [:]
        for series in PrometheusText.series(from: sink.samples) {
            XCTAssertNil(result[series.key], "duplicate series \(series.key)")
            result[series.key] = series.value
        }
        return result
    }

    /// Returns the values of the family `name` only.
    static func family(_ name: String, in sink: MetricSink) -> [String: Double] {
        values(sink).filter { $0.key == name || $0.key.hasPrefix(name + "{") }
    }
}
