import EmberCore

/// Exports the RAPL energy counters under `class/powercap` as node_exporter 1.5's
/// `node_rapl_<zone>_joules_total{index,path}`, with the kernel's value unchanged.
///
/// The counter wraps at the zone's `max_energy_range_uj`, as the kernel's does; Prometheus'
/// `rate()` treats the wrap as a counter reset.
public final class RaplCollector: Collector {
    private let reader: SourceReader
    private var absence: AbsenceLog
    private var descriptors = DescriptorCache()

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let classPath = reader.roots.sys("class/powercap")
        var namer = RaplZoneNamer()
        for entry in try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence) {
            let directory = classPath + "/" + entry
            // Only zones have a `name` file; the `intel-rapl` control type directory has none.
            guard let nameText = sink.attempt({ try reader.optionalString(directory + "/name") }) ?? nil else {
                continue
            }

            let zone = namer.name(for: SysfsClass.trimSpace(nameText))
            collectEnergy(directory, zone: zone, into: &sink)
        }
    }

    private func collectEnergy(_ directory: String, zone: RaplZoneName, into sink: inout MetricSink) {
        let path = directory + "/energy_uj"
        // A powercap zone without an energy counter (such as a DTPM zone on arm64) is skipped.
        guard let text = sink.attempt({ try reader.optionalString(path) }) ?? nil else { return }
        guard let microjoules = UInt64(SysfsClass.trimSpace(text)) else {
            sink.record(ParseError(path: path, expected: "an unsigned integer", content: text))
            return
        }

        let family = "node_rapl_" + zone.metricName + "_joules_total"
        let descriptor = descriptors.descriptor(family) {
            MetricDescriptor(
                family, "Energy counter of the RAPL \(zone.name) zone, in joules.", type: .counter,
                labels: ["index", "path"])
        }
        sink.add(descriptor, Double(microjoules) / 1_000_000.0, String(zone.index), directory)
    }
}
