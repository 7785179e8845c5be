#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import Synchronization

/// Samples every enabled collector on a fixed cadence and assembles one immutable ``Snapshot``
/// per cycle.
///
/// Collectors run in parallel on a few threads (``CollectorLanes``). A cycle waits for them until
/// its deadline (``Configuration/timeoutSeconds`` after the cycle start). A collector that has not
/// returned by then is reported with `ember_collector_success 0` and skipped in later cycles until
/// its stuck run returns, so one blocking read delays the other collectors by 50 ms at most and
/// never delays the server.
public final class Sampler: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Time between cycle starts, in seconds.
        public var intervalSeconds: Double
        /// How long a cycle waits for its collectors, in seconds; at most the interval.
        public var timeoutSeconds: Double
        /// The value of `ember_build_info{version}`.
        public var version: String

        public init(intervalSeconds: Double, timeoutSeconds: Double, version: String) {
            self.intervalSeconds = intervalSeconds
            self.timeoutSeconds = min(timeoutSeconds, intervalSeconds)
            self.version = version
        }
    }

    private let configuration: Configuration
    private let workers: [CollectorWorker]
    /// The `collector` label value of each worker, built once so that the per-collector families
    /// allocate no label array per cycle.
    private let collectorLabels: [[String]]
    private let lanes = CollectorLanes()
    private let clock: any Clock
    private let logger: Logger
    private let health: CollectorHealth
    private let permissions: PermissionReport
    private let selfReader: SourceReader
    private let startWallTime: Double
    private var sequence: UInt64 = 0
    private var lastCompleteWallTime: Double?
    private let stopRequested = Atomic<Bool>(false)
    private let memo: CycleMemo?

    /// Creates a sampler over `collectors`, given as (name, instance) pairs in output order.
    /// `privileges` is where the start-up report of unreadable sources reads the agent's credentials.
    /// `memo`, given to the collectors in their context, is opened for each cycle's collectors.
    public init(
        collectors: [(name: String, collector: any Collector)], configuration: Configuration,
        clock: any Clock = SystemClock(), logger: Logger, privileges: PrivilegeInspection = PrivilegeInspection(),
        memo: CycleMemo? = nil
    ) {
        self.memo = memo
        self.configuration = configuration
        self.workers = collectors.map { CollectorWorker(name: $0.name, collector: $0.collector, clock: clock) }
        collectorLabels = collectors.map { [$0.name] }
        self.clock = clock
        self.logger = logger
        self.health = CollectorHealth(logger: logger, collectorNames: collectors.map(\.name))
        self.permissions = PermissionReport(logger: logger, inspection: privileges)
        // The agent's own /proc/self/statm is read at every sample, so it stays open.
        self.selfReader = SourceReader(
            roots: SourceRoots(), fileSystem: SystemFileSystem(keepingFilesOpen: DescriptorAllowance(limit: 1)))
        self.startWallTime = clock.wallSeconds()
    }

    /// Runs one cycle now and returns its snapshot. Not to be called while ``run(onSnapshot:)`` runs.
    public func sampleOnce() -> Snapshot {
        sequence += 1
        let startMonotonic = clock.monotonicNanoseconds()
        let startWall = clock.wallSeconds()

        memo?.startCycle()
        var (statuses, results) = runCollectors(cycle: sequence, startMonotonic: startMonotonic)
        memo?.endCycle()
        let complete = statuses.allSatisfy { $0.outcome != .timedOut }
        if complete {
            lastCompleteWallTime = startWall
        }
        var sink = MetricSink()
        // Five families per collector and seven of the agent, as appendAgentMetrics writes them.
        sink.reserveCapacity(5 * statuses.count + 7)
        appendAgentMetrics(to: &sink, statuses: statuses, startMonotonic: startMonotonic)

        var lists: [[Sample]] = []
        lists.reserveCapacity(results.count + 1)
        for index in results.indices {
            if let samples = results[index]?.samples {
                lists.append(samples)
            }
            // Dropping the result leaves `lists` the only owner of the samples, so they can be moved.
            results[index] = nil
        }
        lists.append((consume sink).samples)
        return Snapshot(
            sequence: sequence, wallTime: startWall, monotonicNanoseconds: startMonotonic,
            samples: Sampler.concatenate(consume lists), collectors: statuses)
    }

    /// Returns the samples of `lists` in one array of exactly their count, in order.
    ///
    /// Takes the collectors' samples as they are, because their sinks checked them. Each is moved
    /// from the back of its list, which costs no reference counting where the caller owns the only
    /// reference to each list. A list shared with another owner is copied once by its first
    /// `popLast`. Copying each sample cost a retain of its descriptor and of its label values, and
    /// their release when the lists were freed. Moving them cut a cycle on the node_exporter
    /// fixture by about 30 000 instructions (callgrind).
    static func concatenate(_ lists: consuming [[Sample]]) -> [Sample] {
        let count = lists.reduce(0) { $0 + $1.count }
        return [Sample](unsafeUninitializedCapacity: count) { buffer, initialized in
            var end = count
            while var list = lists.popLast() {
                while let sample = list.popLast() {
                    end -= 1
                    (buffer.baseAddress! + end).initialize(to: sample)
                }
            }
            initialized = count
        }
    }

    /// Samples on the configured cadence until ``stop()``, calling `onSnapshot` after each cycle
    /// on the sampling thread. Missed ticks (a cycle longer than the interval) are skipped, not
    /// made up, so the cadence stays aligned to the first tick.
    public func run(onSnapshot: (Snapshot) -> Void) {
        let interval = UInt64(configuration.intervalSeconds * 1e9)
        var nextTick = clock.monotonicNanoseconds()
        while !stopRequested.load(ordering: .relaxed) {
            onSnapshot(sampleOnce())

            nextTick += interval
            let now = clock.monotonicNanoseconds()
            if nextTick <= now {
                nextTick += ((now - nextTick) / interval + 1) * interval
            }
            Sampler.sleep(untilMonotonic: nextTick)
        }
    }

    /// Writes the start-up privilege report now unless a sample has written it, for a short run
    /// such as `ember snapshot` whose samples all missed a collector's deadline.
    public func writePrivilegeReport() {
        permissions.writeIfPending()
    }

    /// Asks ``run(onSnapshot:)`` to return after the current cycle.
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
    }

    /// Runs the collectors of `cycle` and returns each one's status and, when it finished, its result.
    private func runCollectors(
        cycle: UInt64, startMonotonic: UInt64
    ) -> (statuses: [CollectorStatus], results: [CollectorWorker.RunResult?]) {
        let started = workers.map { $0.claim() }
        let timeout = UInt64(configuration.timeoutSeconds * 1e9)
        let claimed = zip(workers, started).filter(\.1).map(\.0)
        lanes.run(claimed, cycle: cycle, deadlineNanoseconds: DispatchTime.now().uptimeNanoseconds + timeout)

        var statuses: [CollectorStatus] = []
        var results: [CollectorWorker.RunResult?] = []
        statuses.reserveCapacity(workers.count)
        results.reserveCapacity(workers.count)
        for (index, (worker, didStart)) in zip(workers, started).enumerated() {
            let result = didStart ? worker.takeResult(of: cycle) : nil
            let status = status(of: worker, result: result)
            health.note(status, collector: index, errors: result?.errors ?? [], sampleCount: result?.samples.count ?? 0)
            statuses.append(status)
            results.append(result)
        }
        permissions.note(statuses, cycle: cycle)
        return (statuses, results)
    }

    /// Returns the status of `worker`, whose finished run of this cycle is `result`, or nil when the
    /// run did not start or has not finished.
    private func status(of worker: CollectorWorker, result: CollectorWorker.RunResult?) -> CollectorStatus {
        guard let result else {
            return CollectorStatus(
                name: worker.name, outcome: .timedOut, durationSeconds: worker.busySeconds(), errorCount: 0,
                unavailableSources: [])
        }
        let outcome: CollectorStatus.Outcome = result.failure.map { .failed($0) } ?? .success
        return CollectorStatus(
            name: worker.name, outcome: outcome, durationSeconds: result.durationSeconds,
            errorCount: result.errors.count, unavailableSources: result.unavailableSources)
    }

    private func appendAgentMetrics(to sink: inout MetricSink, statuses: [CollectorStatus], startMonotonic: UInt64) {
        sink.add(AgentMetrics.buildInfo, 1, configuration.version, Sampler.swiftVersion)
        AgentMetrics.appendProcess(to: &sink, reader: selfReader, startTime: startWallTime)
        if let last = lastCompleteWallTime {
            sink.add(AgentMetrics.lastSample, last)
        }
        sink.add(AgentMetrics.sampleDuration, Double(clock.monotonicNanoseconds() - startMonotonic) / 1e9)

        for (index, status) in statuses.enumerated() {
            let labels = collectorLabels[index]
            let counts = health.collectors[index]
            sink.add(AgentMetrics.collectorSuccess, status.outcome == .success ? 1 : 0, labelValues: labels)
            sink.add(AgentMetrics.collectorDuration, status.durationSeconds, labelValues: labels)
            sink.add(AgentMetrics.collectorErrors, Double(counts.errors), labelValues: labels)
            sink.add(AgentMetrics.collectorFailures, Double(counts.failures), labelValues: labels)
            sink.add(AgentMetrics.readTimeouts, Double(counts.readTimeouts), labelValues: labels)
            var seen: Set<String> = []
            for source in status.unavailableSources where seen.insert(source.path).inserted {
                let needs = permissions.requirement(collector: status.name, path: source.path)?.needs ?? ""
                sink.add(AgentMetrics.sourceAvailable, 0, status.name, source.path, needs)
            }
        }
    }

    private static func sleep(untilMonotonic target: UInt64) {
        var spec = timespec(tv_sec: Int(target / 1_000_000_000), tv_nsec: Int(target % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }

    /// The compiler version, fixed at build time, for `ember version` and `ember_build_info`.
    public static var swiftVersionString: String { swiftVersion }

    static let swiftVersion: String = {
        #if compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }()
}
