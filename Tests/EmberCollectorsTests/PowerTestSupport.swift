@testable import EmberCollectors
import EmberCore
import EmberTestSupport
import Foundation
import Synchronization

/// A clock whose monotonic time moves only when a test sets it.
final class SteppedClock: EmberCore.Clock, @unchecked Sendable {
    var nanoseconds: UInt64 = 1_000_000_000

    func monotonicNanoseconds() -> UInt64 { nanoseconds }
    func wallSeconds() -> Double { 1_800_000_000 }

    func advance(seconds: Double) {
        nanoseconds += UInt64(seconds * 1e9)
    }
}

/// A ``FileSystem`` that serves chosen files from memory and everything else from a base, so a
/// test can change a fixture file (`/proc/stat`) between two runs of a collector.
final class OverlayFileSystem: FileSystem {
    let base = SystemFileSystem()
    var files: [String: String] = [:]
    /// Paths whose reads fail with the errno given, until the entry is removed.
    var faults: [String: Int32] = [:]

    func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        if let code = faults[path] { throw FileError(operation: "open", path: path, code: code) }
        if let content = files[path] { return Array(content.utf8) }
        return try base.readAttribute(path)
    }

    func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        if let content = files[path] { return Array(content.utf8) }
        return try base.readFile(path, limit: limit)
    }

    func listDirectory(_ path: String) throws(FileError) -> [String] {
        if let code = faults[path] { throw FileError(operation: "opendir", path: path, code: code) }
        return try base.listDirectory(path)
    }
    func readLink(_ path: String) throws(FileError) -> String { try base.readLink(path) }
    func resolvePath(_ path: String) throws(FileError) -> String { try base.resolvePath(path) }

    func fileKind(_ path: String) -> FileKind? {
        files[path] != nil ? .regular : base.fileKind(path)
    }
}

/// Runs one `PowerCollector` several times, as the sampler does.
final class PowerHarness {
    let roots: SourceRoots
    let fileSystem: OverlayFileSystem
    let clock = SteppedClock()
    let log = RecordingLogSink()
    private(set) var collector: PowerCollector!

    init(roots: SourceRoots, options: [String: String] = [:], state: PowerCounterState = .init()) throws {
        self.roots = roots
        fileSystem = OverlayFileSystem()
        let reader = SourceReader(roots: roots, fileSystem: fileSystem)
        let context = CollectorContext(
            reader: reader, logger: Logger(level: .debug, sink: log), options: CollectorOptions(options))
        collector = try PowerCollector(context: context, clock: clock, startingAt: state)
    }

    /// Runs the collector once and returns what it produced.
    func run() throws -> MetricSink {
        var sink = MetricSink()
        try collector.update(into: &sink)
        return sink
    }

    /// Runs once, then advances the clock by `seconds` and applies `change` before the next run.
    func runTwice(seconds: Double = 1, change: (OverlayFileSystem) -> Void) throws -> MetricSink {
        _ = try run()
        clock.advance(seconds: seconds)
        change(fileSystem)
        return try run()
    }
}

/// Returns the value of `ember_power_watts` for a domain and source, or nil when absent.
func powerWatts(_ sink: MetricSink, _ domain: String, _ source: String) -> Double? {
    value(sink, "ember_power_watts", ["domain": domain, "source": source])
}

/// Returns the value of the series of `family` whose labels include `labels`.
func value(_ sink: MetricSink, _ family: String, _ labels: [String: String] = [:]) -> Double? {
    sink.samples.first { sample in
        sample.descriptor.name == family && labels.allSatisfy { name, value in
            sample.descriptor.labelNames.firstIndex(of: name).map { sample.labelValues[$0] == value } ?? false
        }
    }?.value
}
