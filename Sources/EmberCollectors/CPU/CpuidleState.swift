import EmberCore

/// One idle state of one CPU, from `devices/system/cpu/cpuN/cpuidle/stateK/`.
///
/// Times in these files are microseconds. `above` and `below` arrived in Linux 5.1, so they are nil
/// on older kernels, as is any other attribute whose file does not exist.
public struct CpuidleStateReading: Equatable, Sendable {
    /// The state directory name, `state0`.
    public let directory: String
    /// The driver's name for the state, such as `WFI` or `cpu-sleep` (from the device tree node).
    public let name: String
    /// Exit latency in microseconds: the worst-case time to leave the state.
    public var latencyMicroseconds: UInt64?
    /// Minimum time in the state for it to save energy, in microseconds.
    public var targetResidencyMicroseconds: UInt64?
    /// Entries into the state since boot.
    public var usage: UInt64?
    /// Time spent in the state since boot, in microseconds.
    public var timeMicroseconds: UInt64?
    /// Entries after which the CPU woke sooner than the target residency: the state was too deep.
    public var above: UInt64?
    /// Entries after which the CPU stayed idle long enough for a deeper state: this one was too shallow.
    public var below: UInt64?
    /// Whether the state is disabled for this CPU (`disable` reads 1).
    public var isDisabled: Bool?

    public init(directory: String, name: String) {
        self.directory = directory
        self.name = name
    }

    /// Reads the state in `path`, recording failed or malformed attributes in `sink`.
    ///
    /// Returns nil when `name` cannot be read, because the state then has no label. Each other
    /// attribute that fails stays nil, so one bad file costs only its own series.
    public static func read(_ path: String, reader: SourceReader, into sink: inout MetricSink) -> CpuidleStateReading? {
        guard let name = reader.readOrRecord(path + "/name", into: &sink, reader.string) else { return nil }

        var state = CpuidleStateReading(directory: String(lastPathComponent(path) ?? ""), name: name)
        let number = { (file: String, sink: inout MetricSink) in
            reader.readOrRecord(path + "/" + file, into: &sink, reader.unsigned)
        }
        state.latencyMicroseconds = number("latency", &sink)
        state.targetResidencyMicroseconds = number("residency", &sink)
        state.usage = number("usage", &sink)
        state.timeMicroseconds = number("time", &sink)
        state.above = number("above", &sink)
        state.below = number("below", &sink)
        state.isDisabled = number("disable", &sink).map { $0 != 0 }
        return state
    }
}
