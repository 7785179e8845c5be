import EmberCore

/// Exports the RAPL energy counters under `class/powercap` as node_exporter 1.5's
/// `node_rapl_<zone>_joules_total{index,path}`, with the kernel's value unchanged, and as Ember's
/// wrap-corrected `ember_rapl_energy_joules_total`.
///
/// The kernel's counter wraps at the zone's `max_energy_range_uj`; Prometheus' `rate()` treats
/// that wrap as a counter reset. ``EnergyCounter`` documents how Ember distinguishes a wrap from a reset.
public final class RaplCollector: Collector {
    static let accumulated = MetricDescriptor(
        "ember_rapl_energy_joules_total",
        "Energy of the RAPL zone in joules, accumulated by Ember across the wrap at max_energy_range_uj.",
        type: .counter, labels: ["zone", "index", "path"])

    private let reader: SourceReader
    private var zoneReader: RaplZoneReader
    private var absence: AbsenceLog
    private var descriptors = DescriptorCache()
    /// Accumulated counters by zone directory.
    private var counters: [String: EnergyCounter] = [:]
    private let ledger: CounterLedger

    /// `startingAt` seeds the accumulated counters in microjoules by zone directory (the `path`
    /// label), such as totals persisted before a restart.
    public init(context: CollectorContext, startingAt seeds: [String: UInt64] = [:]) {
        reader = context.reader
        zoneReader = RaplZoneReader(reader: context.reader)
        absence = AbsenceLog(logger: context.logger)
        counters = seeds.mapValues { EnergyCounter(startingAtMicrojoules: $0) }
        ledger = context.counters
    }

    /// The accumulated counters in microjoules by zone directory, for persistence. Read it on the
    /// thread that runs ``update(into:)`` or while no update runs, because the collector has no lock.
    public var accumulatedMicrojoules: [String: UInt64] { counters.mapValues(\.totalMicrojoules) }

    public func update(into sink: inout MetricSink) throws {
        let zones = try zoneReader.read(sink: &sink, absence: &absence)
        for zone in zones {
            addKernelCounter(zone, into: &sink)
            let labels = [zone.zone.name, String(zone.zone.index), zone.directory]
            let key = Sample.seriesKey(name: RaplCollector.accumulated.name, labelValues: labels)
            var counter = counters[zone.directory] ?? restoredCounter(key) ?? EnergyCounter()
            counter.update(raw: zone.microjoules, maxRangeMicrojoules: zone.wrapsAt)
            counters[zone.directory] = counter
            ledger.update(key, total: counter.totalMicrojoules, raw: zone.microjoules)
            sink.add(RaplCollector.accumulated, counter.totalJoules, labelValues: labels)
        }
    }

    /// Returns the counter saved before a restart, in microjoules, if the ledger has one.
    private func restoredCounter(_ key: String) -> EnergyCounter? {
        ledger.seed(key).map { EnergyCounter(totalMicrojoules: $0.total, lastRaw: $0.lastRaw) }
    }

    private func addKernelCounter(_ zone: RaplZoneReading, into sink: inout MetricSink) {
        let family = "node_rapl_" + zone.zone.metricName + "_joules_total"
        let descriptor = descriptors.descriptor(family) {
            MetricDescriptor(
                family, "Energy counter of the RAPL \(zone.zone.name) zone, in joules.", type: .counter,
                labels: ["index", "path"])
        }
        sink.add(descriptor, Double(zone.microjoules) / 1_000_000.0, String(zone.zone.index), zone.directory)
    }
}
