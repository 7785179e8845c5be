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
///
/// The caller keeps the reader between runs, so the paths of each entry are built once per
/// listing. Building them on every sample cost about a quarter of reading the zones (callgrind).
struct RaplZoneReader {
    let reader: SourceReader
    private var entries = ListingPlan<RaplZonePaths>()

    init(reader: SourceReader) {
        self.reader = reader
    }

    /// Returns the zones that have a readable `energy_uj`. A zone without one (a DTPM zone on
    /// arm64, the `intel-rapl` control type directory) is skipped, and a failed read is recorded.
    mutating func read(sink: inout MetricSink, absence: inout AbsenceLog) throws -> [RaplZoneReading] {
        let classPath = reader.roots.sys("class/powercap")
        var namer = RaplZoneNamer()
        var zones: [RaplZoneReading] = []
        let listing = try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence)
        for paths in entries.values(for: listing, { RaplZonePaths(classPath + "/" + $0) }) {
            // The zone's name and counter range are the driver's, read again only at a rescan.
            guard let nameText = sink.attempt({ try reader.optionalSettledString(paths.name) }) ?? nil else {
                continue
            }

            let zone = namer.name(for: SysfsClass.trimSpace(nameText))
            if let microjoules = readCounter(paths.energy, settled: false, sink: &sink) {
                let range = readCounter(paths.range, settled: true, sink: &sink)
                zones.append(
                    RaplZoneReading(directory: paths.directory, zone: zone, microjoules: microjoules, wrapsAt: range))
            }
        }
        return zones
    }

    /// Reads an optional counter as `UInt64(SysfsClass.trimSpace(text))` parses its text. Plain
    /// digits are converted from the bytes read, without making a `String`.
    private func readCounter(_ path: String, settled: Bool, sink: inout MetricSink) -> UInt64? {
        let bytes: [UInt8]
        do {
            bytes = try settled ? reader.fileSystem.readSettledAttribute(path) : reader.fileSystem.readAttribute(path)
        } catch where error.isNotFound {
            return nil
        } catch {
            sink.record(error)
            return nil
        }

        if let value = AttributeBytes.withContent(bytes, ASCIIFields.unsigned) {
            return value
        }
        let text = Text.attributeString(bytes)
        guard let value = UInt64(SysfsClass.trimSpace(text)) else {
            sink.record(ParseError(path: path, expected: "an unsigned integer", content: text))
            return nil
        }
        return value
    }
}

/// The files of one entry of `class/powercap`.
struct RaplZonePaths {
    let directory: String
    let name: String
    let energy: String
    let range: String

    init(_ directory: String) {
        self.directory = directory
        name = directory + "/name"
        energy = directory + "/energy_uj"
        range = directory + "/max_energy_range_uj"
    }
}
