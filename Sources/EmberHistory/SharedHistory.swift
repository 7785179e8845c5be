import EmberCore
import Synchronization

/// The history and the latest snapshot behind one lock: the sampling thread records, HTTP threads
/// query, and the saver reads.
public final class SharedHistory: Sendable {
    private struct State: @unchecked Sendable {
        // Unchecked because History is a class, and the mutex is the only way to reach it.
        let history: History
        var latest: Snapshot?
        /// The trailing-window samples that ``latest`` lacks. They are joined on read, because the
        /// agent publishes every cycle and the JSON API reads on request.
        var latestWindowSamples: [Sample] = []
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
        let (snapshot, windowSamples) = state.withLock { ($0.latest, $0.latestWindowSamples) }
        guard let snapshot, !windowSamples.isEmpty else { return snapshot }
        return Snapshot(
            sequence: snapshot.sequence, wallTime: snapshot.wallTime, monotonicNanoseconds: snapshot.monotonicNanoseconds,
            samples: snapshot.samples.appending(windowSamples), collectors: snapshot.collectors)
    }

    /// Publishes `snapshot` with `windowSamples` after its samples.
    public func publish(_ snapshot: Snapshot, windowSamples: [Sample] = []) {
        state.withLock {
            $0.latest = snapshot
            $0.latestWindowSamples = windowSamples
        }
    }
}

extension Array where Element == Sample {
    /// Returns the samples followed by each of `more`, in an array of exactly that size. `+` on an
    /// array that is shared, as a snapshot's samples are, allocates about twice the capacity needed.
    public func appending(_ more: [Sample]...) -> [Sample] {
        var result: [Sample] = []
        result.reserveCapacity(more.reduce(count) { $0 + $1.count })
        result.append(contentsOf: self)
        for samples in more {
            result.append(contentsOf: samples)
        }
        return result
    }
}
