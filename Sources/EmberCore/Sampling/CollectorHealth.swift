/// Turns per-run outcomes into log lines without flooding the log: the first failure of a
/// collector is logged, repeats are only counted, and a recovery is logged with the count.
/// Each read error, identified by path and kind, is logged once. Unreadable sources are logged by
/// ``PermissionReport``.
final class CollectorHealth {
    private let logger: Logger
    private var consecutiveFailures: [String: Int] = [:]
    private var loggedErrors: Set<String> = []
    private var loggedNoData: Set<String> = []
    /// Read and parse errors per collector since start, for `ember_collector_errors_total`.
    private(set) var errorTotals: [String: Int] = [:]
    /// Reads abandoned at the per-read deadline per collector since start, for `ember_read_timeouts_total`.
    private(set) var readTimeoutTotals: [String: Int] = [:]
    /// Runs that failed or timed out per collector since start, for `ember_collector_failures_total`.
    private(set) var failureTotals: [String: Int] = [:]

    init(logger: Logger) {
        self.logger = logger
    }

    func note(_ status: CollectorStatus, errors: [RecordedError], sampleCount: Int) {
        let log = logger.with("collector", status.name)
        noteOutcome(status, log: log)
        if status.outcome == .success, sampleCount == 0, errors.isEmpty,
            loggedNoData.insert(status.name).inserted
        {
            log.debug("nothing to read on this machine")
        }
        errorTotals[status.name, default: 0] += errors.count
        readTimeoutTotals[status.name, default: 0] += errors.filter { $0.timeout?.isAbandoned == true }.count
        for error in errors where error.timeout == nil
            && loggedErrors.insert(status.name + "\u{1}" + error.key).inserted
        {
            log.warn("read error; the affected series are omitted", ("err", error.message))
        }
    }

    private func noteOutcome(_ status: CollectorStatus, log: Logger) {
        let previous = consecutiveFailures[status.name, default: 0]
        switch status.outcome {
        case .success:
            if previous > 0 {
                log.info("collector recovered", ("failed_runs", String(previous)))
            }
            consecutiveFailures[status.name] = 0
        case .failed(let message):
            if previous == 0 {
                log.error("collector failed; later failures are counted, not logged", ("err", message))
            }
            consecutiveFailures[status.name] = previous + 1
            failureTotals[status.name, default: 0] += 1
        case .timedOut:
            if previous == 0 {
                log.error(
                    "collector did not finish before the sample deadline; it is skipped until it returns",
                    ("waited_seconds", String(status.durationSeconds)))
            }
            consecutiveFailures[status.name] = previous + 1
            failureTotals[status.name, default: 0] += 1
        }
    }
}
