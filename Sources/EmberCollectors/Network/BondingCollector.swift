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
    private var masters = ListingPlan<BondingMasterPaths>()

    public init(context: CollectorContext) {
        reader = context.reader
    }

    public func update(into sink: inout MetricSink) throws {
        let root = reader.roots.sys("class/net")
        guard let masters = try reader.optionalString(root + "/bonding_masters") else { return }

        let names = BondingCollector.words(masters)
        for paths in self.masters.values(for: names, { BondingMasterPaths(master: $0, root: root) }) {
            if let counts = sink.attempt({ try slaveCounts(paths) }) {
                sink.add(BondingCollector.slaves, Double(counts.configured), labelValues: paths.masterLabels)
                sink.add(BondingCollector.active, Double(counts.up), labelValues: paths.masterLabels)
            }
            addInfo(paths, into: &sink)
        }
    }

    /// Counts the slaves in `bonding/slaves` and those whose `mii_status` is `up`.
    ///
    /// The slave's directory is `lower_<slave>` on current kernels and `slave_<slave>` on older
    /// ones; node_exporter tries them in that order.
    private func slaveCounts(_ paths: BondingMasterPaths) throws -> (configured: Int, up: Int) {
        let statusPaths = paths.statusPaths(slaves: try reader.string(paths.slaves))
        var up = 0
        for (lower, older) in statusPaths {
            let statusPath = reader.exists(lower) ? lower : older
            if try reader.string(statusPath) == "up" {
                up += 1
            }
        }
        return (statusPaths.count, up)
    }

    /// Adds `ember_bonding_info` when `bonding/mode` exists; its content is `<name> <number>`,
    /// such as `active-backup 1`, and the name is the label.
    private func addInfo(_ paths: BondingMasterPaths, into sink: inout MetricSink) {
        guard let modeText = reader.readOrRecord(paths.mode, into: &sink, reader.string) else {
            return
        }
        guard let mode = BondingCollector.words(modeText).first else {
            sink.record(ParseError(path: paths.mode, expected: "<mode> <number>", content: modeText))
            return
        }

        // An absent active_slave file is an empty label; a failed read omits the series.
        var activeSlave = ""
        do {
            activeSlave = try reader.optionalString(paths.activeSlave) ?? ""
        } catch {
            sink.record(error)
            return
        }
        sink.add(BondingCollector.info, 1, paths.master, mode, activeSlave)
    }

    static func words(_ text: String) -> [String] {
        Text.fields(Substring(text)).map(String.init)
    }
}

/// The files of one bonding master, and the `mii_status` paths of its slaves for the last slave
/// list read, kept in a ``ListingPlan`` by ``BondingCollector``.
///
/// Building the paths on every sample cost about 40 % of the collector's instructions
/// (callgrind, node_exporter's test tree).
final class BondingMasterPaths {
    let master: String
    /// `[master]`, the label values of the slave counts.
    let masterLabels: [String]
    let directory: String
    let slaves: String
    let mode: String
    let activeSlave: String
    private var slaveList: String?
    private var status: [(lower: String, older: String)] = []

    init(master: String, root: String) {
        self.master = master
        masterLabels = [master]
        directory = root + "/" + master
        slaves = directory + "/bonding/slaves"
        mode = directory + "/bonding/mode"
        activeSlave = directory + "/bonding/active_slave"
    }

    /// Returns the `mii_status` paths of each slave in `slaves`, the content of `bonding/slaves`:
    /// under `lower_<slave>`, and under `slave_<slave>` for older kernels.
    func statusPaths(slaves text: String) -> [(lower: String, older: String)] {
        if text != slaveList {
            slaveList = text
            status = BondingCollector.words(text).map { slave in
                (directory + "/lower_" + slave + "/bonding_slave/mii_status",
                 directory + "/slave_" + slave + "/bonding_slave/mii_status")
            }
        }
        return status
    }
}
