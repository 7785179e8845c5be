import EmberCore
import Synchronization

/// Keeps every log line in memory, for tests that check what was logged and how often.
public final class RecordingLogSink: LogSink {
    private let storage = Mutex<[String]>([])

    public init() {}

    public func write(_ line: String) {
        storage.withLock { $0.append(line) }
    }

    /// Every line written so far.
    public var lines: [String] {
        storage.withLock { $0 }
    }

    /// Lines containing `fragment`.
    public func lines(containing fragment: String) -> [String] {
        lines.filter { $0.contains(fragment) }
    }
}
