import EmberCore

/// The `netdev` collector: node_exporter 1.5's per-interface counters from `/proc/net/dev`, with
/// the kernel's values unchanged, and Ember's own wrap-corrected byte and packet counters.
public final class NetDevCollector: Collector {
    public static let includeFlag = "collector.netdev.device-include"
    public static let excludeFlag = "collector.netdev.device-exclude"

    /// node_exporter's families: `node_network_<field>_total` for every column.
    static let kernelCounters: [MetricDescriptor] = NetDevCounters.fieldNames.map { field in
        MetricDescriptor(
            "node_network_" + field + "_total",
            "Interface statistic \(field) from /proc/net/dev, as the kernel reports it.",
            type: .counter, labels: ["device"])
    }

    /// Ember's accumulated counters and the `/proc/net/dev` column each follows. Drivers that keep
    /// 32-bit statistics wrap after 4 GiB, but these do not. ``CounterAccumulator`` documents how a
    /// wrap is distinguished from a reset.
    static let accumulatedCounters: [(field: String, descriptor: MetricDescriptor)] = [
        ("receive_bytes", accumulated("receive_bytes_total", "Bytes received")),
        ("transmit_bytes", accumulated("transmit_bytes_total", "Bytes transmitted")),
        ("receive_packets", accumulated("receive_packets_total", "Packets received")),
        ("transmit_packets", accumulated("transmit_packets_total", "Packets transmitted")),
    ]

    private let reader: SourceReader
    private let logger: Logger
    private let filter: DeviceFilter
    /// Keyed by series key, so the ledger and the accumulator share keys.
    private var accumulator = CounterAccumulator<String>()
    private let ledger: CounterLedger
    /// The label values and accumulated counters' series keys of each interface in the last
    /// sample, so they are not built again for every series. About 300 bytes per interface.
    private var seriesByDevice: [String: DeviceSeries] = [:]

    private struct DeviceSeries {
        let labelValues: [String]
        /// Series keys in ``NetDevCollector/accumulatedCounters`` order.
        let accumulatedKeys: [String]
    }

    /// The ``NetDevCounters/fieldNames`` index of each of ``accumulatedCounters``.
    private static let accumulatedIndices = accumulatedCounters.map { counter in
        NetDevCounters.fieldNames.firstIndex(of: counter.field)!
    }

    /// Throws ``DeviceFilterError`` for invalid or conflicting filter options.
    public init(context: CollectorContext) throws {
        reader = context.reader
        logger = context.logger
        ledger = context.counters
        filter = try DeviceFilter(
            include: context.options.string(NetDevCollector.includeFlag, default: ""),
            exclude: context.options.string(NetDevCollector.excludeFlag, default: ""),
            flagPrefix: "collector.netdev")
    }

    public func update(into sink: inout MetricSink) throws {
        let path = reader.roots.proc("net/dev")
        let text: String
        do {
            text = try reader.table(path)
        } catch let error as FileError where error.isNotFound {
            logger.debug("no interface statistics, file not found", ("path", path))
            return
        }

        // The kernel always prints the two header lines, even with no interface.
        if text.allSatisfy(\.isWhitespace) {
            throw ParseError(path: path, expected: "a header and one line per interface", content: "")
        }

        let parsed = NetDevParser.parse(text, path: path)
        parsed.errors.forEach { sink.record($0) }
        var seen: [String: DeviceSeries] = [:]
        for counters in parsed.devices where filter.accepts(counters.device) {
            let series = seriesByDevice[counters.device] ?? Self.makeSeries(counters.device)
            seen[counters.device] = series
            add(counters, series: series, into: &sink)
        }
        seriesByDevice = seen
        // An interface whose line failed to parse is still there. Forgetting it would restart its
        // accumulated counters from the kernel's value, so a counter would go backwards.
        if parsed.errors.isEmpty {
            accumulator.dropUnseen().forEach(ledger.remove)
        }
    }

    private static func makeSeries(_ device: String) -> DeviceSeries {
        let labelValues = [device]
        let keys = accumulatedCounters.map { counter in
            Sample.seriesKey(name: counter.descriptor.name, labelValues: labelValues)
        }
        return DeviceSeries(labelValues: labelValues, accumulatedKeys: keys)
    }

    private func add(_ counters: NetDevCounters, series: DeviceSeries, into sink: inout MetricSink) {
        for (descriptor, value) in zip(NetDevCollector.kernelCounters, counters.values) {
            sink.add(descriptor, Double(value), labelValues: series.labelValues)
        }
        for (index, (_, descriptor)) in NetDevCollector.accumulatedCounters.enumerated() {
            let key = series.accumulatedKeys[index]
            let raw = counters.values[Self.accumulatedIndices[index]]
            let total = accumulator.update(key, raw: raw, seedIfNew: { ledger.seed(key) })
            ledger.update(key, total: total, raw: raw)
            sink.add(descriptor, Double(total), labelValues: series.labelValues)
        }
    }

    private static func accumulated(_ suffix: String, _ quantity: String) -> MetricDescriptor {
        MetricDescriptor(
            "ember_network_" + suffix,
            quantity + " by the interface, with 32-bit counter wraps corrected; starts at the kernel's value "
                + "when Ember first reads the interface, and continues from the saved total after a restart.",
            type: .counter, labels: ["device"])
    }
}
