import EmberCore

/// One devfreq device from `class/devfreq/DEVICE/`: frequencies in hertz, governor, load and
/// transition table.
///
/// Every value is nil when its file does not exist or its read failed. Failures are recorded in
/// the sink given to ``read(_:reader:into:)``.
public struct DevfreqReading: Equatable, Sendable {
    /// The class entry name, which the kernel sets to the parent device's name (`fb000000.gpu`, `dmc`).
    public let device: String
    public var frequencyHertz: UInt64?
    public var targetFrequencyHertz: UInt64?
    public var minimumFrequencyHertz: UInt64?
    public var maximumFrequencyHertz: UInt64?
    public var governor: String?
    /// Nil also when `load` is empty because the governor has no measurement.
    public var load: DevfreqLoad?
    /// Nil also when `trans_stat` reads `Not Supported.` or is empty (see ``hasNoTransitionStats``).
    public var transitionStats: DevfreqTransitionStats?
    /// Whether `trans_stat` was read and contains no table (`Not Supported.` or an empty file).
    public var hasNoTransitionStats = false

    public init(device: String) {
        self.device = device
    }

    /// Reads every device under `class/devfreq`, in entry order.
    ///
    /// An absent class directory gives an empty list. Throws when the class directory exists and
    /// cannot be listed.
    public static func readAll(reader: SourceReader, into sink: inout MetricSink) throws -> [DevfreqReading] {
        let classPath = reader.roots.sys("class/devfreq")
        return try reader.optionalEntries(classPath).map { entry in
            read(classPath + "/" + entry, reader: reader, into: &sink)
        }
    }

    /// Reads the device in `directory`.
    public static func read(
        _ directory: String, reader: SourceReader, into sink: inout MetricSink
    ) -> DevfreqReading {
        var reading = DevfreqReading(device: String(lastPathComponent(directory) ?? ""))
        let hertz = { (file: String, sink: inout MetricSink) in
            reader.readOrRecord(directory + "/" + file, into: &sink, reader.unsigned)
        }
        reading.frequencyHertz = hertz("cur_freq", &sink)
        reading.targetFrequencyHertz = hertz("target_freq", &sink)
        reading.minimumFrequencyHertz = hertz("min_freq", &sink)
        reading.maximumFrequencyHertz = hertz("max_freq", &sink)
        // The governor changes only when the administrator switches it. The limits stay per
        // sample, because devfreq cooling lowers `max_freq` while the system runs.
        reading.governor = reader.readOrRecord(directory + "/governor", into: &sink) { path in
            SysfsClass.trimSpace(try reader.settledString(path))
        }

        reading.load = reader.readOrRecord(directory + "/load", into: &sink) { path in
            try DevfreqLoad.parse(reader.string(path), path: path)
        } ?? nil
        let stats = reader.readOrRecord(directory + "/trans_stat", into: &sink) { path in
            try DevfreqTransitionStats.parse(reader.string(path), path: path)
        }
        reading.transitionStats = stats ?? nil
        reading.hasNoTransitionStats = stats.map { $0 == nil } ?? false
        return reading
    }
}
