/// Turns per-run outcomes into log lines without flooding the log: the first failure of a
/// collector is logged, repeats are only counted, and a recovery is logged with the count.
/// Each read error, identified by path and kind, is logged once. Unreadable sources are logged by
/// ``PermissionReport``.
///
/// Collectors are numbered in the sampler's order, so that a cycle updates its counts by index
/// instead of looking up each collector's name in dictionaries.
final class CollectorHealth {
    /// The counts and logging state of one collector.
    struct Counts {
        let name: String
        /// The agent's logger with the `collector` field, built once instead of once per run.
        let logger: Logger
        var consecutiveFailures = 0
        var loggedNoData = false
        /// Read and parse errors since start, for `ember_collector_errors_total`.
        var errors = 0
        /// Reads abandoned at the per-read deadline since start, for `ember_read_timeouts_total`.
        var readTimeouts = 0
        /// Runs that failed or timed out since start, for `ember_collector_failures_total`.
        var failures = 0
    }

    private(set) var collectors: [Counts]
    private var loggedErrors: Set<String> = []

    init(logger: Logger, collectorNames: [String]) {
        collectors = collectorNames.map { Counts(name: $0, logger: logger.with("collector", $0)) }
    }

    /// Notes the run of the collector at `index` in the sampler's order, whose status is `status`.
    func note(_ status: CollectorStatus, collector index: Int, errors: [RecordedError], sampleCount: Int) {
        // The counts are changed in place: copying them out and back took about 600 instructions a run.
        noteOutcome(status, counts: &collectors[index])
        if status.outcome == .success, sampleCount == 0, errors.isEmpty, !collectors[index].loggedNoData {
            collectors[index].loggedNoData = true
            collectors[index].logger.debug("nothing to read on this machine")
        }
        guard !errors.isEmpty else { return }

        collectors[index].errors += errors.count
        for error in errors {
            if error.timeout?.isAbandoned == true {
                collectors[index].readTimeouts += 1
            }
            if error.timeout == nil, loggedErrors.insert(status.name + "\u{1}" + error.key).inserted {
                collectors[index].logger.warn("read error; the affected series are omitted", ("err", error.message))
            }
        }
    }

    private func noteOutcome(_ status: CollectorStatus, counts: inout Counts) {
        let previous = counts.consecutiveFailures
        switch status.outcome {
        case .success:
            if previous > 0 {
                counts.logger.info("collector recovered", ("failed_runs", String(previous)))
            }
            counts.consecutiveFailures = 0
        case .failed(let message):
            if previous == 0 {
                counts.logger.error("collector failed; later failures are counted, not logged", ("err", message))
            }
            counts.consecutiveFailures = previous + 1
            counts.failures += 1
        case .timedOut:
            if previous == 0 {
                counts.logger.error(
                    "collector did not finish before the sample deadline; it is skipped until it returns",
                    ("waited_seconds", String(status.durationSeconds)))
            }
            counts.consecutiveFailures = previous + 1
            counts.failures += 1
        }
    }
}
