/// A collector reads one kernel subsystem and maps it to samples.
///
/// Each collector instance is owned by one worker and called by one thread at a time, so it can
/// keep state between runs (previous counter values for rates and wrap detection) without locks.
public protocol Collector: AnyObject {
    /// Reads the subsystem once and adds its samples to `sink`.
    ///
    /// A subsystem that is absent on this machine adds nothing and does not throw. Errors that
    /// cost single series go to ``MetricSink/record(_:)``; a thrown error fails the whole run.
    func update(into sink: inout MetricSink) throws
}

/// Everything a collector gets at construction.
public struct CollectorContext {
    public let reader: SourceReader
    public let logger: Logger
    public let options: CollectorOptions
    /// Counters accumulated by the agent: seed accumulators from it and report updates to it,
    /// so totals survive a restart.
    public let counters: CounterLedger
    /// Values shared between collectors within one sample cycle; nil where each computes its own.
    public let cycle: CycleMemo?

    public init(
        reader: SourceReader, logger: Logger, options: CollectorOptions, counters: CounterLedger = CounterLedger(),
        cycle: CycleMemo? = nil
    ) {
        self.reader = reader
        self.logger = logger
        self.options = options
        self.counters = counters
        self.cycle = cycle
    }

    public var roots: SourceRoots { reader.roots }
}

/// A collector's registration: its name (node_exporter's where one exists), whether it runs by
/// default, and how to build it.
public struct CollectorDefinition: Sendable {
    public let name: String
    public let enabledByDefault: Bool
    public let summary: String
    /// Options this collector reads from ``CollectorOptions``, for `--help`: name, default, help.
    public let optionHelp: [CollectorOptionHelp]
    public let make: @Sendable (CollectorContext) throws -> any Collector

    public init(
        name: String, enabledByDefault: Bool = true, summary: String,
        optionHelp: [CollectorOptionHelp] = [],
        make: @escaping @Sendable (CollectorContext) throws -> any Collector
    ) {
        self.name = name
        self.enabledByDefault = enabledByDefault
        self.summary = summary
        self.optionHelp = optionHelp
        self.make = make
    }
}

/// Help for one `--collector.NAME.OPTION` flag.
public struct CollectorOptionHelp: Sendable {
    /// The flag without the leading dashes, such as `collector.netdev.device-exclude`.
    public let flag: String
    public let defaultValue: String
    public let help: String

    public init(flag: String, defaultValue: String, help: String) {
        self.flag = flag
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// Values of `--collector.NAME.OPTION=VALUE` flags, keyed by the flag name without dashes.
public struct CollectorOptions: Sendable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// Returns the value of `flag`, or `defaultValue` when it was not given.
    public func string(_ flag: String, default defaultValue: String) -> String {
        values[flag] ?? defaultValue
    }

    /// Returns the value of a boolean flag. A bare `--flag` is stored as "true".
    public func bool(_ flag: String, default defaultValue: Bool) -> Bool {
        guard let text = values[flag] else { return defaultValue }
        return text == "true" || text == "1" || text == "yes"
    }

    /// Returns the value of a duration flag (`30s`, `5m`) in seconds.
    ///
    /// Throws ``CollectorOptionError`` when the value is not a positive duration, so a typo stops the
    /// agent at start instead of silently using the default.
    public func duration(_ flag: String, default defaultValue: Double) throws(CollectorOptionError) -> Double {
        guard let text = values[flag] else { return defaultValue }
        guard let seconds = DurationParser.seconds(text), seconds > 0 else {
            throw CollectorOptionError(
                message: "invalid --\(flag) \(text): expected a positive duration under 292 years, such as 30s, 5m, 1h")
        }
        return seconds
    }
}

/// An invalid `--collector.NAME.OPTION` value, found while the collectors are built.
public struct CollectorOptionError: Error, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
