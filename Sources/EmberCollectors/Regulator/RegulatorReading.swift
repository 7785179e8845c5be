import EmberCore

/// One voltage or current regulator from `class/regulator/regulator.N/`.
///
/// The regulator core creates `microvolts` only when the driver can
/// report a voltage, `microamps` only for a current reading, and the `min_`/`max_` files only for
/// constraints the device tree sets. Every optional value is nil when its file does not exist.
public struct RegulatorReading: Equatable, Sendable {
    /// The class entry, `regulator.2`: unique on the machine, unlike ``name``.
    public let regulator: String
    /// The rail name from the device tree, such as `vdd_cpu_big0_s0`.
    public let name: String
    /// `voltage`, `current` or `unknown`.
    public var type: String?
    /// True for `enabled`, false for `disabled`, nil when the kernel reads `unknown` or has no file.
    public var isEnabled: Bool?
    /// The output voltage the driver reports, in microvolts.
    public var microvolts: Int64?
    /// The output current the driver reports, in microamperes.
    public var microamps: Int64?
    public var minimumMicrovolts: Int64?
    public var maximumMicrovolts: Int64?
    public var minimumMicroamps: Int64?
    public var maximumMicroamps: Int64?
    /// Number of consumers that have enabled the regulator.
    public var users: Int64?

    public init(regulator: String, name: String) {
        self.regulator = regulator
        self.name = name
    }

    /// The output voltage in volts.
    public var volts: Double? { microvolts.map { Double($0) / 1_000_000 } }

    /// Reads every regulator under `class/regulator`, in entry order, recording read errors in `sink`.
    ///
    /// An absent class directory gives an empty list. A regulator whose `name` cannot be read is
    /// left out. Throws when the class directory exists and cannot be listed.
    public static func readAll(reader: SourceReader, into sink: inout MetricSink) throws -> [RegulatorReading] {
        let classPath = reader.roots.sys("class/regulator")
        return try reader.optionalEntries(classPath).compactMap { entry in
            read(classPath + "/" + entry, reader: reader, into: &sink)
        }
    }

    /// Reads the regulator in `directory`, or returns nil when its `name` cannot be read.
    public static func read(
        _ directory: String, reader: SourceReader, into sink: inout MetricSink
    ) -> RegulatorReading? {
        read(RegulatorPaths(directory), reader: reader, into: &sink)
    }

    /// Reads the regulator whose files are `paths`, as ``read(_:reader:into:)-(String,_,_)`` does.
    static func read(_ paths: RegulatorPaths, reader: SourceReader, into sink: inout MetricSink) -> RegulatorReading? {
        // The name, type and limits are the board's constraints from the device tree, fixed while
        // the regulator exists, so they are read again only at a rescan.
        let readName = { (path: String) in try SysfsClass.labelString(path, reader: reader, settled: true) }
        guard let name = reader.readOrRecord(paths.name, into: &sink, readName) else { return nil }

        var reading = RegulatorReading(regulator: paths.entry, name: name)
        reading.type = reader.readOrRecord(paths.type, into: &sink, reader.settledString)
        reading.isEnabled = reader.readOrRecord(paths.state, into: &sink) { path in
            try parseState(reader.string(path), path: path)
        } ?? nil

        let number = { (path: String, sink: inout MetricSink) in
            reader.readOrRecord(path, into: &sink, reader.integer)
        }
        let limit = { (path: String, sink: inout MetricSink) in
            reader.readOrRecord(path, into: &sink, reader.settledInteger)
        }
        reading.microvolts = number(paths.microvolts, &sink)
        reading.microamps = number(paths.microamps, &sink)
        reading.minimumMicrovolts = limit(paths.minimumMicrovolts, &sink)
        reading.maximumMicrovolts = limit(paths.maximumMicrovolts, &sink)
        reading.minimumMicroamps = limit(paths.minimumMicroamps, &sink)
        reading.maximumMicroamps = limit(paths.maximumMicroamps, &sink)
        reading.users = number(paths.users, &sink)
        return reading
    }

    /// Returns true or false for `enabled` or `disabled`, nil for `unknown` (the driver could not
    /// tell), and throws on anything else.
    static func parseState(_ text: String, path: String) throws -> Bool? {
        switch SysfsClass.trimSpace(text) {
        case "enabled": return true
        case "disabled": return false
        case "unknown": return nil
        default: throw ParseError(path: path, expected: "enabled, disabled or unknown", content: text)
        }
    }
}

/// The attribute file paths of one `class/regulator` entry, kept in a ``ListingPlan`` by
/// ``RegulatorCollector``, because building the ten paths of each regulator on every sample cost
/// about a quarter of the collector's instructions (callgrind, RK3588 test tree).
struct RegulatorPaths {
    /// The class entry, `regulator.2`.
    let entry: String
    let name: String
    let type: String
    let state: String
    let microvolts: String
    let microamps: String
    let minimumMicrovolts: String
    let maximumMicrovolts: String
    let minimumMicroamps: String
    let maximumMicroamps: String
    let users: String

    init(_ directory: String) {
        entry = String(lastPathComponent(directory) ?? "")
        name = directory + "/name"
        type = directory + "/type"
        state = directory + "/state"
        microvolts = directory + "/microvolts"
        microamps = directory + "/microamps"
        minimumMicrovolts = directory + "/min_microvolts"
        maximumMicrovolts = directory + "/max_microvolts"
        minimumMicroamps = directory + "/min_microamps"
        maximumMicroamps = directory + "/max_microamps"
        users = directory + "/num_users"
    }
}
