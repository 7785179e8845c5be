import EmberCollectors
import EmberCore
import EmberExposition
import EmberHistory

/// The sampling side of the agent: collectors, sampler, history tiers, trailing windows and the
/// saved state.
///
/// ``process(_:)`` turns a sampler snapshot into the published one by recording it in the
/// history and appending the window families. It runs on the sampling thread only.
final class Agent {
    static let version = "0.1.0"

    let sampler: Sampler
    let options: AgentOptions
    let history: SharedHistory
    /// Counters the collectors accumulate, seeded from the saved state.
    let counters: CounterLedger
    let persistence: Persistence?
    /// The kernel's device announcements, when collectors keep the tree's layout and read a sysfs mount.
    let deviceEvents: DeviceEvents?
    private let windows: [TrailingWindow]
    /// Monotonic time of the next release of free memory, set by the first sample.
    private var nextReleaseNanoseconds: UInt64?
    private let logger: Logger

    /// Builds the collectors and the history. With `persistence`, the saved tiers and counters are
    /// loaded first, so collectors start from the saved totals.
    init(_ options: AgentOptions, logger: Logger, persistence: Persistence? = nil) throws {
        self.options = options
        self.persistence = persistence
        self.logger = logger
        let tiers = History(options.history)
        let restored = persistence?.load(into: tiers) ?? [:]
        if persistence != nil {
            // Decoding the state files leaves their bytes freed in the heap and their code mapped.
            // Released now, they do not add to what discovery and the first cycle bring in.
            FreeMemory.release(logger: logger)
        }
        counters = CounterLedger(restored: restored, bootID: persistence?.bootID ?? "")
        history = SharedHistory(tiers)

        deviceEvents = Self.deviceEvents(options, logger: logger)
        let files = Self.fileReuse(options, events: deviceEvents)
        let memo = CycleMemo()
        var collectors: [(name: String, collector: any Collector)] = []
        for name in options.enabledCollectors {
            guard let definition = CollectorRegistry.definition(named: name) else { continue }
            let collectorLogger = logger.with("collector", name)
            let fileSystem = options.readDeadline.makeFileSystem(logger: collectorLogger, files: files)
            let context = CollectorContext(
                reader: SourceReader(roots: options.roots, fileSystem: fileSystem), logger: collectorLogger,
                options: options.collectorOptions, counters: counters, cycle: memo)
            collectors.append((name, try definition.make(context)))
        }

        sampler = Sampler(
            collectors: collectors,
            configuration: Sampler.Configuration(
                intervalSeconds: options.intervalSeconds, timeoutSeconds: options.timeoutSeconds,
                version: Agent.version),
            logger: logger, privileges: PrivilegeInspection(debugfsRoot: options.roots.debugfs), memo: memo)
        windows = options.windowSeconds.map { TrailingWindow(windowSeconds: $0) }
    }

    /// Returns what the collectors keep between samples: nothing with `--collector.rescan-interval=0s`,
    /// else the tree's layout until the next rescan and as many open files as the open-file limit
    /// leaves beside the HTTP server's connections.
    private static func fileReuse(_ options: AgentOptions, events: DeviceEvents?) -> FileReuse {
        guard options.rescanSeconds > 0 else { return .none }

        let limit = DescriptorBudget.keptSourceFileLimit(
            openFileLimit: DescriptorBudget.softLimit(), connections: options.maxConnections)
        return FileReuse(
            rescanSeconds: options.rescanSeconds, allowance: DescriptorAllowance(limit: limit), events: events)
    }

    /// Opens the uevent socket when the collectors keep the layout of a sysfs mount. The kernel's
    /// announcements do not describe a fixture tree read with `--path.sysfs`.
    private static func deviceEvents(_ options: AgentOptions, logger: Logger) -> DeviceEvents? {
        guard options.rescanSeconds > 0, DeviceEvents.isKernelSysfs(options.roots.sysfs) else { return nil }
        return DeviceEvents.listen(logger: logger)
    }

    /// Records `snapshot` and returns it with the trailing-window families added.
    func process(_ snapshot: Snapshot) -> Snapshot {
        let windowSamples = record(snapshot)
        return Snapshot(
            sequence: snapshot.sequence, wallTime: snapshot.wallTime,
            monotonicNanoseconds: snapshot.monotonicNanoseconds, samples: snapshot.samples.appending(windowSamples),
            collectors: snapshot.collectors)
    }

    /// Records `snapshot`, publishes it with the trailing-window families, and returns those families.
    /// Unlike ``process(_:)``, this copies no sample array, for a caller that builds its own.
    func record(_ snapshot: Snapshot) -> [Sample] {
        let windowSamples = history.withHistory { tiers in
            tiers.record(snapshot)
            var samples: [Sample] = []
            for window in windows {
                window.appendSamples(for: snapshot, history: tiers.raw, seriesListVersion: tiers.seriesListVersion,
                                     to: &samples)
            }
            return samples
        }
        history.publish(snapshot, windowSamples: windowSamples)
        persistence?.saveIfDue(history: history, ledger: counters, nowNanoseconds: snapshot.monotonicNanoseconds)
        releaseMemoryIfDue(atNanoseconds: snapshot.monotonicNanoseconds)
        return windowSamples
    }

    private func releaseMemoryIfDue(atNanoseconds now: UInt64) {
        guard let due = nextReleaseNanoseconds else {
            // Discovery and the first cycle are done. Their start-up code goes now, and the rest,
            // such as the first scrapes' code, at the end of the warm-up.
            nextReleaseNanoseconds = now + UInt64(FreeMemory.warmUpSeconds * 1e9)
            FreeMemory.releaseInBackground(logger: logger)
            return
        }
        guard now >= due else { return }
        nextReleaseNanoseconds = now + UInt64(FreeMemory.intervalSeconds * 1e9)
        FreeMemory.releaseInBackground(logger: logger)
    }

    /// Saves the state now, for a clean stop.
    func saveState() {
        persistence?.saveNow(history: history, ledger: counters)
    }
}
