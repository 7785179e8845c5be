import EmberCore
import EmberExposition
import EmberTestSupport

@testable import EmberCLI

/// Runs the whole agent pipeline in-process on a fixture tree, as `ember snapshot` does.
enum AgentHarness {
    /// Takes two samples (so rates exist) and returns the second one's text exposition.
    ///
    /// The interval is long because it also bounds each collector's deadline. At 100 ms a busy test
    /// machine made a collector miss it now and then, and its series vanished from the output.
    static func exposition(roots: SourceRoots, extraFlags: [String] = []) throws -> String {
        let flags = [
            "--path.sysfs=\(roots.sysfs)", "--path.procfs=\(roots.procfs)", "--path.debugfs=\(roots.debugfs)",
            "--sample.interval=2s",
        ] + extraFlags
        let options = try EmberMain.options(flags)
        let agent = try Agent(options, logger: Logger(level: .error, sink: DiscardingLogSink()))
        let snapshot = SnapshotCommand.take(agent)
        return String(decoding: PrometheusTextEncoder.encode(snapshot.samples).bytes, as: UTF8.self)
    }
}

/// Drops log lines; tests that check logging use a recording sink instead.
struct DiscardingLogSink: LogSink {
    func write(_ line: String) {}
}
