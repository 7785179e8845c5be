import EmberCore

/// Exports every regulator under `class/regulator`: its output voltage and current, constraints,
/// state and users, such as the RK806 PMIC rails and the RK8602 CPU supplies on RK3588 boards.
///
/// Every series carries `regulator` (the class entry, unique) and `name` (the rail name, which
/// two regulators may share).
public final class RegulatorCollector: Collector {
    static let labels = ["regulator", "name"]
    static let info = MetricDescriptor(
        "ember_regulator_info", "Regulator type (voltage, current or unknown); value 1.",
        labels: ["regulator", "name", "type"])
    static let enabled = MetricDescriptor(
        "ember_regulator_enabled",
        "1 when the regulator is enabled, 0 when disabled. Absent when the driver cannot tell.",
        labels: labels)
    static let volts = MetricDescriptor(
        "ember_regulator_volts", "Output voltage the regulator driver reports, in volts.", labels: labels)
    static let amperes = MetricDescriptor(
        "ember_regulator_amperes", "Output current the regulator driver reports, in amperes.", labels: labels)
    static let minimumVolts = MetricDescriptor(
        "ember_regulator_min_volts", "Lowest voltage the regulator's constraints allow, in volts.", labels: labels)
    static let maximumVolts = MetricDescriptor(
        "ember_regulator_max_volts", "Highest voltage the regulator's constraints allow, in volts.", labels: labels)
    static let minimumAmperes = MetricDescriptor(
        "ember_regulator_min_amperes", "Lowest current limit the regulator's constraints allow, in amperes.",
        labels: labels)
    static let maximumAmperes = MetricDescriptor(
        "ember_regulator_max_amperes", "Highest current limit the regulator's constraints allow, in amperes.",
        labels: labels)
    static let users = MetricDescriptor(
        "ember_regulator_users", "Consumers holding the regulator enabled (num_users).", labels: labels)

    private let reader: SourceReader
    private var absence: AbsenceLog
    private var regulators = ListingPlan<RegulatorPaths>()

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let classPath = reader.roots.sys("class/regulator")
        let entries = try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence)
        for paths in regulators.values(for: entries, { RegulatorPaths(classPath + "/" + $0) }) {
            if let reading = RegulatorReading.read(paths, reader: reader, into: &sink) {
                add(reading, into: &sink)
            }
        }
    }

    private func add(_ reading: RegulatorReading, into sink: inout MetricSink) {
        let labelValues = [reading.regulator, reading.name]
        if let type = reading.type {
            sink.add(Self.info, 1, reading.regulator, reading.name, type)
        }
        if let isEnabled = reading.isEnabled {
            sink.add(Self.enabled, isEnabled ? 1 : 0, labelValues: labelValues)
        }
        if let users = reading.users {
            sink.add(Self.users, Double(users), labelValues: labelValues)
        }

        let microValues: [(Int64?, MetricDescriptor)] = [
            (reading.microvolts, Self.volts), (reading.microamps, Self.amperes),
            (reading.minimumMicrovolts, Self.minimumVolts), (reading.maximumMicrovolts, Self.maximumVolts),
            (reading.minimumMicroamps, Self.minimumAmperes), (reading.maximumMicroamps, Self.maximumAmperes),
        ]
        for case let (micro?, descriptor) in microValues {
            sink.add(descriptor, Double(micro) / 1_000_000, labelValues: labelValues)
        }
    }
}
