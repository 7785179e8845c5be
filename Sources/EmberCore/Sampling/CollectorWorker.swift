import Dispatch
import Synchronization

/// One collector and the result of its last run. A run is claimed before it starts, so a run
/// stuck in a blocking read is never started again before it returns: the sampler stops waiting
/// for it at the cycle deadline and skips it in later cycles.
final class CollectorWorker: Sendable {
    /// The output of one finished run, tagged with the cycle that started it.
    struct RunResult: Sendable {
        let cycle: UInt64
        let samples: [Sample]
        let errors: [RecordedError]
        let unavailableSources: [UnavailableSource]
        let failure: String?
        let durationSeconds: Double
    }

    let name: String
    private let collector: CollectorBox
    private let clock: any Clock
    private let state = Mutex(State())

    private struct State {
        var running = false
        var runningSince: UInt64 = 0
        /// The last finished run until the sampler takes it.
        var result: RunResult?
        /// The sample count of the last finished run, which the next run reserves.
        var lastSampleCount = 0
    }

    init(name: String, collector: any Collector, clock: any Clock) {
        self.name = name
        self.collector = CollectorBox(collector)
        self.clock = clock
    }

    /// Marks a run as started unless the previous run has not returned yet.
    /// - Returns: false when the worker is still busy with an earlier cycle.
    func claim() -> Bool {
        state.withLock { state -> Bool in
            if state.running { return false }
            state.running = true
            state.runningSince = clock.monotonicNanoseconds()
            return true
        }
    }

    /// Gives back a claim whose run never started.
    func unclaim() {
        state.withLock { $0.running = false }
    }

    /// Runs the collector for `cycle` on the calling thread and keeps the result. Call only after
    /// ``claim()`` returned true.
    func run(cycle: UInt64) {
        let result = collect(cycle: cycle)
        state.withLock { state in
            state.running = false
            state.result = result
            state.lastSampleCount = result.samples.count
        }
    }

    /// Returns the result of `cycle`, if that run has finished, and clears it from the worker.
    ///
    /// The worker keeps no reference to the samples it hands over, so the sampler owns the only one
    /// and can move them into the snapshot instead of copying them.
    func takeResult(of cycle: UInt64) -> RunResult? {
        state.withLock { state in
            guard let result = state.result, result.cycle == cycle else { return nil }
            state.result = nil
            return result
        }
    }

    /// Returns how long the current run has been going, in seconds, or 0 when idle.
    func busySeconds() -> Double {
        state.withLock { state in
            state.running ? Double(clock.monotonicNanoseconds() - state.runningSince) / 1e9 : 0
        }
    }

    private func collect(cycle: UInt64) -> RunResult {
        let start = clock.monotonicNanoseconds()
        var sink = MetricSink()
        // Reserve the last run's count, because the result keeps its spare capacity for a whole cycle.
        sink.reserveCapacity(state.withLock { $0.lastSampleCount })
        var failure: String?
        do {
            try collector.value.update(into: &sink)
        } catch {
            failure = String(describing: error)
        }
        let duration = Double(clock.monotonicNanoseconds() - start) / 1e9
        return RunResult(
            cycle: cycle, samples: sink.samples,
            errors: sink.errors.map(RecordedError.init),
            unavailableSources: sink.unavailableSources, failure: failure, durationSeconds: duration)
    }
}

/// Hands a collector to the thread that runs it; ``CollectorWorker/claim()`` lets one run at a time.
private final class CollectorBox: @unchecked Sendable {
    let value: any Collector

    init(_ value: any Collector) {
        self.value = value
    }
}

/// A read or parse error as the sampler logs it.
struct RecordedError: Sendable {
    /// The identity used to log an error once: the path and the kind of failure, never the file's
    /// content, which may change on every read.
    let key: String
    let message: String
    /// Set for a read the deadline abandoned or skipped. The file system logs these itself, with
    /// the retry schedule.
    let timeout: ReadTimeout?

    init(_ error: any Error) {
        message = String(describing: error)
        timeout = (error as? FileError)?.timeout
        switch error {
        case let fileError as FileError:
            key = fileError.path + "\u{1}" + fileError.errnoName
        case let parseError as ParseError:
            key = parseError.path + "\u{1}parse"
        default:
            key = message
        }
    }
}
