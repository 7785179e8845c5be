import EmberCore

/// One powercap zone with an energy counter, as read in one run.
struct RaplZoneReading {
    let directory: String
    let zone: RaplZoneName
    let microjoules: UInt64
    /// `max_energy_range_uj`, the value the counter wraps at, or nil when absent or unreadable.
    let wrapsAt: UInt64?
}

/// Reads the energy counters of every zone under `class/powercap`.
struct RaplZoneReader {
    let reader: SourceReader

    /// Returns the zones that have a readable `energy_uj`. A zone without one (a DTPM zone on
    /// arm64, the `intel-rapl` control type directory) is skipped, and a failed read is recorded.
    func read(sink: inout MetricSink, absence: inout AbsenceLog) throws -> [RaplZoneReading] {
        let classPath = reader.roots.sys("class/powercap")
        var namer = RaplZoneNamer()
        var zones: [RaplZoneReading] = []
        for entry in try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence) {
            let directory = classPath + "/" + entry
            guard let nameText = sink.attempt({ try reader.optionalString(directory + "/name") }) ?? nil else {
                continue
            }

            let zone = namer.name(for: SysfsClass.trimSpace(nameText))
            if let microjoules = readCounter(directory + "/energy_uj", sink: &sink) {
                let range = readCounter(directory + "/max_energy_range_uj", sink: &sink)
                zones.append(
                    RaplZoneReading(directory: directory, zone: zone, microjoules: microjoules, wrapsAt: range))
            }
        }
        return zones
    }

    private func readCounter(_ path: String, sink: inout MetricSink) -> UInt64? {
        guard let text = sink.attempt({ try reader.optionalString(path) }) ?? nil else { return nil }
        guard let value = UInt64(SysfsClass.trimSpace(text)) else {
            sink.record(ParseError(path: path, expected: "an unsigned integer", content: text))
            return nil
        }
        return value
    }
}
