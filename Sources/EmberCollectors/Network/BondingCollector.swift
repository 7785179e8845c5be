import EmberCore

/// The `bonding` collector: node_exporter's slave counts per bonding master, plus the bond's mode
/// and active slave.
public final class BondingCollector: Collector {
    static let slaves = MetricDescriptor(
        "node_bonding_slaves", "Slaves configured in the bonding interface.", labels: ["master"])
    static let active = MetricDescriptor(
        "node_bonding_active", "Slaves of the bonding interface whose MII status is up.", labels: ["master"])
    static let info = MetricDescriptor(
        "ember_bonding_info",
        "Bonding mode and current active slave (empty outside active-backup style modes); always 1.",
        labels: ["master", "mode", "active_slave"])

    private let reader: SourceReader

    public init(context: CollectorContext) {
        reader = context.reader
    }

    public func update(into sink: inout MetricSink) throws {
        let root = reader.roots.sys("class/net")
        guard let masters = try reader.optionalString(root + "/bonding_masters") else { return }

        for master in BondingCollector.words(masters) {
            let directory = root + "/" + master
            if let counts = sink.attempt({ try slaveCounts(directory: directory) }) {
                sink.add(BondingCollector.slaves, Double(counts.configured), master)
                sink.add(BondingCollector.active, Double(counts.up), master)
            }
            addInfo(master, directory: directory, into: &sink)
        }
    }

    /// Counts the slaves in `bonding/slaves` and those whose `mii_status` is `up`.
    ///
    /// The slave's directory is `lower_<slave>` on current kernels and `slave_<slave>` on older
    /// ones; node_exporter tries them in that order.
    private func slaveCounts(directory: String) throws -> (configured: Int, up: Int) {
        let slaves = BondingCollector.words(try reader.string(directory + "/bonding/slaves"))
        var up = 0
        for slave in slaves {
            var statusPath = directory + "/lower_" + slave + "/bonding_slave/mii_status"
            if !reader.exists(statusPath) {
                statusPath = directory + "/slave_" + slave + "/bonding_slave/mii_status"
            }
            if try reader.string(statusPath) == "up" {
                up += 1
            }
        }
        return (slaves.count, up)
    }

    /// Adds `ember_bonding_info` when `bonding/mode` exists; its content is `<name> <number>`,
    /// such as `active-backup 1`, and the name is the label.
    private func addInfo(_ master: String, directory: String, into sink: inout MetricSink) {
        guard let modeText = reader.readOrRecord(directory + "/bonding/mode", into: &sink, reader.string) else {
            return
        }
        guard let mode = BondingCollector.words(modeText).first else {
            sink.record(ParseError(path: directory + "/bonding/mode", expected: "<mode> <number>", content: modeText))
            return
        }

        // An absent active_slave file is an empty label; a failed read omits the series.
        var activeSlave = ""
        do {
            activeSlave = try reader.optionalString(directory + "/bonding/active_slave") ?? ""
        } catch {
            sink.record(error)
            return
        }
        sink.add(BondingCollector.info, 1, master, mode, activeSlave)
    }

    private static func words(_ text: String) -> [String] {
        Text.fields(Substring(text)).map(String.init)
    }
}
