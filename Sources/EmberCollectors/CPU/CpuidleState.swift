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
        read(CpuidleStatePaths(path), reader: reader, into: &sink)
    }

    /// Reads the state whose files are `paths`, as ``read(_:reader:into:)-(String,_,_)`` does.
    static func read(
        _ paths: CpuidleStatePaths, reader: SourceReader, into sink: inout MetricSink
    ) -> CpuidleStateReading? {
        // The name, latency and residency come from the driver's state table, and `disable` changes
        // only when the administrator writes it, so these are read again only at a rescan.
        guard let name = reader.readOrRecord(paths.name, into: &sink, reader.settledString) else { return nil }

        var state = CpuidleStateReading(directory: paths.entry, name: name)
        let number = { (path: String, sink: inout MetricSink) in
            reader.readOrRecord(path, into: &sink, reader.unsigned)
        }
        let setting = { (path: String, sink: inout MetricSink) in
            reader.readOrRecord(path, into: &sink, reader.settledUnsigned)
        }
        state.latencyMicroseconds = setting(paths.latency, &sink)
        state.targetResidencyMicroseconds = setting(paths.residency, &sink)
        state.usage = number(paths.usage, &sink)
        state.timeMicroseconds = number(paths.time, &sink)
        state.above = number(paths.above, &sink)
        state.below = number(paths.below, &sink)
        state.isDisabled = setting(paths.disable, &sink).map { $0 != 0 }
        return state
    }
}

/// The attribute file paths of one idle state directory, `cpuN/cpuidle/stateK`.
///
/// ``CpuidleCPUPaths`` keeps them while the state listing stays the same, because building eight
/// paths per state on every sample cost over a third of the collector's instructions
/// (callgrind, RK3588 fixture).
struct CpuidleStatePaths {
    /// The state directory name, `state0`.
    let entry: String
    let name: String
    let latency: String
    let residency: String
    let usage: String
    let time: String
    let above: String
    let below: String
    let disable: String
    /// `[cpu, state]` of the state's series.
    let labels = LabelPairMemo()

    init(_ directory: String) {
        entry = String(lastPathComponent(directory) ?? "")
        name = directory + "/name"
        latency = directory + "/latency"
        residency = directory + "/residency"
        usage = directory + "/usage"
        time = directory + "/time"
        above = directory + "/above"
        below = directory + "/below"
        disable = directory + "/disable"
    }
}

/// One CPU's `cpuidle` directory and the paths of its states, kept while its listing stays the same.
final class CpuidleCPUPaths {
    /// The CPU number, the `cpu` label value.
    let cpu: String
    let idleDirectory: String
    /// The `stateK` entries of ``idleDirectory``.
    var stateEntries = NumberedEntriesMemo(prefix: "state")
    private var statePaths = ListingPlan<CpuidleStatePaths>()

    init(entry: String, cpuDirectory: String) {
        cpu = String(entry.dropFirst(3))
        idleDirectory = cpuDirectory + "/" + entry + "/cpuidle"
    }

    /// Returns the paths of the states `entries` (`state0`, `state1`), built again when they changed.
    func states(_ entries: [String]) -> [CpuidleStatePaths] {
        statePaths.values(for: entries) { [idleDirectory] in CpuidleStatePaths(idleDirectory + "/" + $0) }
    }
}
