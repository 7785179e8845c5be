import EmberCore

/// An `operating-points-v2` table from the device tree: the target voltage of each frequency.
public struct OperatingPointTable: Sendable, Equatable {
    /// Target microvolts by frequency in hertz. The target is the first cell of `opp-microvolt`,
    /// which contains `<target>` or `<target min max>`, and on some vendor kernels a second triple
    /// for a memory supply.
    public let microvoltsByHertz: [UInt64: UInt32]

    public init(microvoltsByHertz: [UInt64: UInt32]) {
        self.microvoltsByHertz = microvoltsByHertz
    }

    /// Returns the target voltage in volts for `hertz`: the voltage of the lowest OPP at or above
    /// it, or of the highest OPP when `hertz` is above every one. An average frequency between two
    /// OPPs therefore gets the higher voltage, which overestimates rather than underestimates.
    public func volts(atHertz hertz: Double) -> Double? {
        let frequencies = microvoltsByHertz.keys.sorted()
        guard let highest = frequencies.last else { return nil }

        // Half a kilohertz of tolerance, because cpufreq reports kHz and the table is in Hz.
        let chosen = frequencies.first { Double($0) >= hertz - 500 } ?? highest
        return Double(microvoltsByHertz[chosen]!) / 1_000_000
    }
}

/// Finds the OPP table of a CPU or GPU node through its `operating-points-v2` phandle.
struct OperatingPointTableLoader {
    let deviceTree: DeviceTreeReader

    /// Returns the table referenced by `node` (a path under the device-tree base), or nil when
    /// the node has no `operating-points-v2` property or no node carries that phandle.
    ///
    /// Tables are looked for among the children of the root and of `/cpus`, where every RK3588
    /// and other arm64 device tree seen so far puts them.
    func table(for node: String) throws -> OperatingPointTable? {
        guard let phandle = try deviceTree.optionalCells(node + "/operating-points-v2")?.first else { return nil }
        guard let tableNode = try findNode(withPhandle: phandle) else { return nil }
        return try readTable(tableNode)
    }

    private func findNode(withPhandle phandle: UInt32) throws -> String? {
        for parent in [deviceTree.base, deviceTree.base + "/cpus"] {
            let names = try deviceTree.reader.optionalEntries(parent)
            for name in names where name.hasPrefix("opp") || Text.contains(name, "opp-table") {
                let node = parent + "/" + name
                if try deviceTree.optionalCells(node + "/phandle")?.first == phandle {
                    return node
                }
            }
        }
        return nil
    }

    private func readTable(_ node: String) throws -> OperatingPointTable {
        var microvolts: [UInt64: UInt32] = [:]
        for name in try deviceTree.reader.entries(node) where name.hasPrefix("opp-") || name.hasPrefix("opp@") {
            let entry = node + "/" + name
            guard deviceTree.reader.fileSystem.fileKind(entry) == .directory else { continue }
            guard let hertz = try deviceTree.optionalU64(entry + "/opp-hz"),
                  let volts = try deviceTree.optionalCells(entry + "/opp-microvolt")?.first
            else { continue }
            microvolts[hertz] = volts
        }
        return OperatingPointTable(microvoltsByHertz: microvolts)
    }
}
