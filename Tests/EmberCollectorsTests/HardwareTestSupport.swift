import EmberCore
import EmberTestSupport
import Foundation

/// A throwaway sysfs tree in a temporary directory, removed when the value is released.
final class HardwareTree {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.path + "/ember-hw-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/sys", withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Every root lies inside the temporary tree, so no test reaches a real device node under `/dev`
    /// or a real debugfs file. The debugfs root is `sys/kernel/debug`, as in the fixture trees.
    var roots: SourceRoots {
        SourceRoots(sysfs: root + "/sys", procfs: root + "/proc", debugfs: root + "/sys/kernel/debug", devfs: root + "/dev")
    }

    /// Returns the absolute path of `relative` under `sys/`.
    func path(_ relative: String) -> String { root + "/sys/" + relative }

    /// Writes `content` to `sys/<relative>`, creating parent directories.
    func write(_ relative: String, _ content: String) throws {
        try write(relative, bytes: Array(content.utf8))
    }

    func write(_ relative: String, bytes: [UInt8]) throws {
        let target = path(relative)
        try makeParent(of: target)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
    }

    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }

    /// Creates `sys/<relative>` as a symbolic link to `destination`, stored as given.
    func link(_ relative: String, to destination: String) throws {
        let target = path(relative)
        try makeParent(of: target)
        try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: destination)
    }

    private func makeParent(of target: String) throws {
        let parent = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    }
}

/// Runs collectors the way the sampler does, once, and exposes what they produced.
enum HardwareHarness {
    static func run(
        _ make: (CollectorContext) throws -> any Collector, roots: SourceRoots,
        fileSystem: any FileSystem = SystemFileSystem()
    ) throws -> MetricSink {
        var sink = MetricSink()
        try make(context(roots, fileSystem: fileSystem)).update(into: &sink)
        return sink
    }

    /// Returns a collector context that reads `roots` through `fileSystem` and logs errors only.
    static func context(_ roots: SourceRoots, fileSystem: any FileSystem = SystemFileSystem()) -> CollectorContext {
        let reader = SourceReader(roots: roots, fileSystem: fileSystem)
        return CollectorContext(reader: reader, logger: Logger(level: .error), options: CollectorOptions())
    }

    /// Series keys (`name{a="1"}`) mapped to values.
    static func values(_ sink: MetricSink) -> [String: Double] {
        var values: [String: Double] = [:]
        for series in PrometheusText.series(from: sink.samples) {
            values[series.key] = series.value
        }
        return values
    }

    /// Paths of the recorded errors, file and parse errors alike, sorted.
    static func errorPaths(_ sink: MetricSink) -> [String] {
        sink.errors.map { error in
            if let fileError = error as? FileError { return fileError.path }
            if let parseError = error as? ParseError { return parseError.path }
            return "\(error)"
        }.sorted()
    }

    /// Returns the errno of each recorded file error, in recording order.
    static func errorCodes(_ sink: MetricSink) -> [Int32] {
        sink.errors.compactMap { ($0 as? FileError)?.code }
    }
}
