import EmberCore

/// Exports `class/thermal`: zone temperatures and cooling device states as node_exporter 1.5
/// does, plus each zone's mode, governor and trip points as `ember_thermal_zone_*`.
///
/// A zone whose type or temperature cannot be read (EINVAL from a disabled zone, ENODATA from a
/// sensor without data) is left out of `node_thermal_zone_temp`, and the error is recorded. A
/// failed read never becomes 0 °C, and the other zones are still exported, where node_exporter
/// releases up to at least 1.7 fail the whole collector. Temperatures outside
/// ``TemperatureRange`` are omitted the same way.
public final class ThermalZoneCollector: Collector {
    private let reader: SourceReader
    private var absence: AbsenceLog
    private var plan = ListingPlan<ThermalEntryPaths>()

    static let zoneTemperature = MetricDescriptor(
        "node_thermal_zone_temp", "Thermal zone temperature, in degrees Celsius.", labels: ["zone", "type"],
        windowUnit: "celsius")
    static let coolingCurrentState = MetricDescriptor(
        "node_cooling_device_cur_state", "Current throttle state of the cooling device.", labels: ["name", "type"])
    static let coolingMaximumState = MetricDescriptor(
        "node_cooling_device_max_state", "Maximum throttle state of the cooling device.", labels: ["name", "type"])
    static let zoneInfo = MetricDescriptor(
        "ember_thermal_zone_info",
        "Thermal zone mode (enabled, disabled, or empty when the kernel has no mode file) and governor; value 1.",
        labels: ["zone", "type", "mode", "policy"])
    static let tripTemperature = MetricDescriptor(
        "ember_thermal_zone_trip_point_temp_celsius", "Temperature at which a trip point fires, in degrees Celsius.",
        labels: ["zone", "type", "trip", "trip_type"])
    static let tripHysteresis = MetricDescriptor(
        "ember_thermal_zone_trip_point_hysteresis_celsius",
        "Drop below the trip temperature needed to clear a trip point, in degrees Celsius.",
        labels: ["zone", "type", "trip", "trip_type"])

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let classPath = reader.roots.sys("class/thermal")
        let entries = try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence)
        for entry in plan.values(for: entries, { ThermalEntryPaths(entry: $0, classPath: classPath) }) {
            switch entry {
            case .zone(let zone): collectZone(zone, into: &sink)
            case .coolingDevice(let device): collectCoolingDevice(device, into: &sink)
            case .other: continue
            }
        }
    }

    private func collectZone(_ paths: ThermalZonePaths, into sink: inout MetricSink) {
        let zone = paths.zone
        // The type, mode, policy and trip points are settled: the driver sets them, and only a
        // write by the administrator changes them, so they are read again only at a rescan.
        guard let type = sink.attempt({ try SysfsClass.labelString(paths.type, reader: reader, settled: true) }) else {
            return
        }

        // An absent mode or policy file becomes an empty label. A failed read omits the info
        // series instead, so that it never reads as a kernel without the file.
        let mode = sink.attempt { try reader.optionalSettledString(paths.mode) }
        let policy = sink.attempt { try reader.optionalSettledString(paths.policy) }
        if let mode, let policy {
            sink.add(Self.zoneInfo, 1, zone, type, mode ?? "", policy ?? "")
        }

        // node_exporter skips a disabled zone, whose reading the kernel does not update.
        let isDisabled = (mode ?? nil) == "disabled"
        if !isDisabled, let milli = sink.attempt({ try readTemperature(paths.temperature) }) {
            sink.add(Self.zoneTemperature, Double(milli) / 1000.0, zone, type)
        }
        collectTripPoints(paths, type: type, into: &sink)
    }

    private func collectTripPoints(_ paths: ThermalZonePaths, type: String, into sink: inout MetricSink) {
        // Trip points are put in numeric order, so the listing needs no sorting.
        guard let names = sink.attempt({ try reader.fileSystem.listDirectory(paths.directory) }) else { return }

        let zone = paths.zone
        for trip in paths.tripPoints(listing: names) {
            guard let tripType = sink.attempt({ try SysfsClass.labelString(trip.type, reader: reader, settled: true) }),
                  let milli = sink.attempt({ try SysfsClass.integer(trip.temperature, reader: reader, settled: true) }),
                  TemperatureRange.contains(millicelsius: milli)
            else { continue }

            let labels = trip.labels(zone: zone, type: type, tripType: tripType)
            sink.add(Self.tripTemperature, Double(milli) / 1000.0, labelValues: labels)
            let hysteresis = sink.attempt { try SysfsClass.optionalInteger(trip.hysteresis, reader: reader, settled: true) }
            if let hysteresis = hysteresis ?? nil {
                sink.add(Self.tripHysteresis, Double(hysteresis) / 1000.0, labelValues: labels)
            }
        }
    }

    /// Reads a cooling device; one whose type or states cannot be read is left out entirely,
    /// since node_exporter exports none of its series either.
    private func collectCoolingDevice(_ paths: CoolingDevicePaths, into sink: inout MetricSink) {
        // The type and the number of states are the driver's; the current state changes at run time.
        guard let type = sink.attempt({ try SysfsClass.labelString(paths.type, reader: reader, settled: true) }),
              let maximum = sink.attempt({ try SysfsClass.integer(paths.maximumState, reader: reader, settled: true) }),
              let current = sink.attempt({ try readInteger(paths.currentState) })
        else { return }

        // cur_state is -1 for some drivers, such as intel_powerclamp while idle; it is kept as is.
        sink.add(Self.coolingCurrentState, Double(current), paths.name, type)
        sink.add(Self.coolingMaximumState, Double(maximum), paths.name, type)
    }

    private func readInteger(_ path: String) throws -> Int64 {
        try SysfsClass.integer(path, reader: reader)
    }

    /// Reads a zone temperature in millidegrees Celsius. A value outside ``TemperatureRange``, such
    /// as the kernel's THERMAL_TEMP_INVALID (-274000), throws instead of becoming a sample.
    private func readTemperature(_ path: String) throws -> Int64 {
        let milli = try readInteger(path)
        guard TemperatureRange.contains(millicelsius: milli) else {
            throw TemperatureRange.implausible(path, content: String(milli))
        }
        return milli
    }
}

/// Name parsing for `class/thermal` entries.
enum ThermalNames {
    /// Returns the number of `thermal_zone3` (`3`) for `prefix` `thermal_zone`, or nil when the name
    /// is not the prefix followed by a digit (node_exporter globs `thermal_zone[0-9]*`).
    static func number(_ entry: String, prefix: String) -> String? {
        guard entry.hasPrefix(prefix) else { return nil }

        let suffix = entry.dropFirst(prefix.count)
        guard let first = suffix.first, first.isASCII, first.isNumber else { return nil }
        return String(suffix)
    }

    /// Returns the trip point numbers (`0`, `1`, …) that have a `trip_point_N_temp` file, in
    /// numeric order.
    static func tripPoints(in fileNames: [String]) -> [String] {
        let numbers = fileNames.compactMap { name -> Int? in
            guard name.hasPrefix("trip_point_"), name.hasSuffix("_temp") else { return nil }
            return Int(name.dropFirst("trip_point_".count).dropLast("_temp".count))
        }
        return numbers.sorted().map(String.init)
    }
}
