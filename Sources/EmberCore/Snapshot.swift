/// The outcome of one collector in one sampling cycle.
public struct CollectorStatus: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The run finished; partial read errors may still have been recorded.
        case success
        /// The run threw; its message is kept for `ember doctor`-style reporting.
        case failed(String)
        /// The run did not finish before the cycle's deadline, or an earlier run is still stuck.
        case timedOut
    }

    public let name: String
    public let outcome: Outcome
    /// Wall time the run took, or the time waited before giving up on it.
    public let durationSeconds: Double
    /// Read and parse errors recorded during the run.
    public let errorCount: Int
    public let unavailableSources: [UnavailableSource]

    public init(
        name: String, outcome: Outcome, durationSeconds: Double, errorCount: Int,
        unavailableSources: [UnavailableSource]
    ) {
        self.name = name
        self.outcome = outcome
        self.durationSeconds = durationSeconds
        self.errorCount = errorCount
        self.unavailableSources = unavailableSources
    }
}

/// Everything one sampling cycle produced; immutable once built, shared by the HTTP server and
/// history readers.
public struct Snapshot: Sendable {
    /// Sequence number of the cycle, starting at 1.
    public let sequence: UInt64
    /// When the cycle started, in seconds since the Unix epoch.
    public let wallTime: Double
    /// When the cycle started, on the monotonic clock.
    public let monotonicNanoseconds: UInt64
    public let samples: [Sample]
    public let collectors: [CollectorStatus]

    public init(
        sequence: UInt64, wallTime: Double, monotonicNanoseconds: UInt64, samples: [Sample],
        collectors: [CollectorStatus]
    ) {
        self.sequence = sequence
        self.wallTime = wallTime
        self.monotonicNanoseconds = monotonicNanoseconds
        self.samples = samples
        self.collectors = collectors
    }
}
