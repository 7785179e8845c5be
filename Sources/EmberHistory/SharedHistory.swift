import EmberCore
import Synchronization

/// The history and the latest snapshot behind one lock: the sampling thread records, HTTP threads
/// query, and the saver reads.
public final class SharedHistory: Sendable {
    private struct State: @unchecked Sendable {
        // Unchecked because History is a class, and the mutex is the only way to reach it.
        let history: History
        var latest: Snapshot?
    }

    private let state: Mutex<State>
    public let configuration: HistoryConfiguration

    public init(_ history: History) {
        configuration = history.configuration
        state = Mutex(State(history: history, latest: nil))
    }

    /// Runs `body` with the history while holding the lock. Keep `body` short, because the sampler
    /// waits for the lock.
    public func withHistory<Result>(_ body: (History) throws -> Result) rethrows -> Result {
        try state.withLock { try body($0.history) }
    }

    /// The newest snapshot published, window families included.
    public var latest: Snapshot? {
        state.withLock { $0.latest }
    }

    public func publish(_ snapshot: Snapshot) {
        state.withLock { $0.latest = snapshot }
    }
}
