import EmberCollectors
import EmberCore
import EmberHistory

/// The sampling side of the agent: collectors, sampler, raw history and trailing windows.
///
/// ``process(_:)`` turns a sampler snapshot into the published one by recording it in the
/// history and appending the window families. It runs on the sampling thread only.
final class Agent {
    static let version = "0.1.0"

    let sampler: Sampler
    let options: AgentOptions
    let history: History
    private let windows: [TrailingWindow]

    init(_ options: AgentOptions, logger: Logger) throws {
        self.options = options
        var collectors: [(name: String, collector: any Collector)] = []
        for name in options.enabledCollectors {
            guard let definition = CollectorRegistry.definition(named: name) else { continue }
            let context = CollectorContext(
                reader: SourceReader(roots: options.roots), logger: logger.with("collector", name),
                options: options.collectorOptions)
            collectors.append((name, try definition.make(context)))
        }

        sampler = Sampler(
            collectors: collectors,
            configuration: Sampler.Configuration(
                intervalSeconds: options.intervalSeconds, timeoutSeconds: options.timeoutSeconds,
                version: Agent.version),
            logger: logger)
        history = History(options.history)
        windows = options.windowSeconds.map { TrailingWindow(windowSeconds: $0) }
    }

    /// Records `snapshot` and returns it with the trailing-window families added.
    func process(_ snapshot: Snapshot) -> Snapshot {
        history.record(snapshot)
        let windowSamples = windows.flatMap { $0.samples(for: snapshot, history: history.raw) }
        return Snapshot(
            sequence: snapshot.sequence, wallTime: snapshot.wallTime,
            monotonicNanoseconds: snapshot.monotonicNanoseconds, samples: snapshot.samples + windowSamples,
            collectors: snapshot.collectors)
    }
}
