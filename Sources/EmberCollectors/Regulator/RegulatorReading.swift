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
        let readName = { (path: String) in try SysfsClass.labelString(path, reader: reader) }
        guard let name = reader.readOrRecord(directory + "/name", into: &sink, readName) else { return nil }

        let entry = String(lastPathComponent(directory) ?? "")
        var reading = RegulatorReading(regulator: entry, name: name)
        reading.type = reader.readOrRecord(directory + "/type", into: &sink, reader.string)
        reading.isEnabled = reader.readOrRecord(directory + "/state", into: &sink) { path in
            try parseState(reader.string(path), path: path)
        } ?? nil

        let number = { (file: String, sink: inout MetricSink) in
            reader.readOrRecord(directory + "/" + file, into: &sink, reader.integer)
        }
        reading.microvolts = number("microvolts", &sink)
        reading.microamps = number("microamps", &sink)
        reading.minimumMicrovolts = number("min_microvolts", &sink)
        reading.maximumMicrovolts = number("max_microvolts", &sink)
        reading.minimumMicroamps = number("min_microamps", &sink)
        reading.maximumMicroamps = number("max_microamps", &sink)
        reading.users = number("num_users", &sink)
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
