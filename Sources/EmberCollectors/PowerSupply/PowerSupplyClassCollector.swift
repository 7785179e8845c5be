import EmberCore

/// Exports `class/power_supply/*` (mains adapters, batteries, USB-PD inputs) in node_exporter
/// 1.5's `node_power_supply_*` families.
///
/// Only the attributes in ``PowerSupplyAttributes`` are read, so links (`device`), directories
/// (`power/`) and `uevent` are never opened.
public final class PowerSupplyClassCollector: Collector {
    private let reader: SourceReader
    private var absence: AbsenceLog
    private var infoDescriptors = DescriptorCache()
    private var supplies = ListingPlan<PowerSupplyPaths>()

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let classPath = reader.roots.sys("class/power_supply")
        let entries = try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence)
        for supply in supplies.values(for: entries, { PowerSupplyPaths(supply: $0, classPath: classPath) }) {
            collect(supply, into: &sink)
        }
    }

    private func collect(_ paths: PowerSupplyPaths, into sink: inout MetricSink) {
        // Only membership matters, so the listing is not sorted.
        guard let files = sink.attempt({ try reader.fileSystem.listDirectory(paths.directory) }) else { return }

        paths.update(listing: files)
        for (attribute, path) in paths.numeric {
            guard let raw = sink.attempt({ try SysfsClass.integer(path, reader: reader, settled: attribute.settled) }),
                  isPlausible(raw, attribute: attribute, path: path, sink: &sink)
            else { continue }

            // Divided as node_exporter divides, so values match it exactly.
            sink.add(attribute.descriptor, Double(raw) / attribute.divisor, labelValues: paths.supplyLabels)
        }
        emitInfo(paths, into: &sink)
    }

    /// Applies ``TemperatureRange`` to the temperature attributes, which are in tenths of a
    /// degree Celsius: an implausible `temp` or `temp_ambient` reading is recorded as an error, an
    /// implausible alert or limit means "no threshold". Both are omitted.
    private func isPlausible(
        _ raw: Int64, attribute: PowerSupplyNumericAttribute, path: String, sink: inout MetricSink
    ) -> Bool {
        guard attribute.divisor == 10 else { return true }
        let (millicelsius, overflow) = raw.multipliedReportingOverflow(by: 100)
        if !overflow, TemperatureRange.contains(millicelsius: millicelsius) {
            return true
        }

        if attribute.file == "temp" || attribute.file == "temp_ambient" {
            sink.record(TemperatureRange.implausible(path, content: "\(raw) tenths of a degree Celsius"))
        }
        return false
    }

    /// Emits `node_power_supply_info` with one label per non-empty text attribute; supplies
    /// with different attributes therefore carry different label names in one family.
    ///
    /// A text attribute that exists but fails to read omits the series for this sample, so a
    /// transient error never creates a series with one label fewer.
    private func emitInfo(_ paths: PowerSupplyPaths, into sink: inout MetricSink) {
        var names = ["power_supply"]
        var values = [paths.supply]
        for (file, path, settled) in paths.info {
            guard let text = sink.attempt({ try SysfsClass.labelString(path, reader: reader, settled: settled) }) else {
                return
            }
            if !text.isEmpty {
                names.append(file)
                values.append(text)
            }
        }

        let descriptor = infoDescriptors.descriptor(names.joined(separator: ",")) {
            MetricDescriptor(
                "node_power_supply_info", "Text attributes of /sys/class/power_supply/<power_supply>; value 1.",
                labels: names)
        }
        sink.add(descriptor, 1, labelValues: values)
    }
}
