import EmberCore

/// The device tree's facts about the CPUs: each logical CPU's node, its
/// `dynamic-power-coefficient` and the root's `compatible` strings. The estimator reads them once,
/// because the device tree does not change while the system runs.
struct CPUDeviceTreeFacts {
    /// Node paths in logical CPU order.
    let nodes: [String]
    /// Coefficients in µW/MHz/V² by logical CPU, for CPUs whose node has one.
    let coefficients: [Int: UInt32]
    /// `cpu-supply` phandles by logical CPU, for CPUs whose node has one.
    let supplies: [Int: UInt32]
    /// The root node's `compatible` strings, such as `rockchip,rk3588`.
    let compatible: [String]

    /// Reads the facts. A missing `cpus` node gives no nodes and no coefficients.
    ///
    /// Logical CPU N is taken as the N-th `cpu@` node in `reg` order, which is how arm64 Linux
    /// numbers CPUs when the boot CPU has the lowest `reg` (true of the RK3588 and most SoCs).
    /// NOTE: `/sys/devices/system/cpu/cpuN/of_node` would give the exact node, but not every
    /// kernel creates it.
    static func read(_ deviceTree: DeviceTreeReader) throws -> CPUDeviceTreeFacts {
        let cpus = deviceTree.base + "/cpus"
        var nodes: [(reg: UInt64, path: String)] = []
        for name in try deviceTree.reader.optionalEntries(cpus) where name.hasPrefix("cpu@") {
            let node = cpus + "/" + name
            guard let reg = try deviceTree.optionalCells(node + "/reg") else { continue }
            nodes.append((reg.reduce(0) { $0 << 32 | UInt64($1) }, node))
        }
        nodes.sort { $0.reg < $1.reg }

        var coefficients: [Int: UInt32] = [:]
        var supplies: [Int: UInt32] = [:]
        for (cpu, node) in nodes.enumerated() {
            coefficients[cpu] = try deviceTree.optionalCells(node.path + "/dynamic-power-coefficient")?.first
            supplies[cpu] = try deviceTree.optionalCells(node.path + "/cpu-supply")?.first
        }
        return CPUDeviceTreeFacts(
            nodes: nodes.map(\.path), coefficients: coefficients, supplies: supplies,
            compatible: try readStrings(deviceTree, deviceTree.base + "/compatible"))
    }

    /// Returns the coefficient of the first CPU in `cpus` that has one. Vendor RK3588 trees set it
    /// on the first CPU of each cluster only, and the cores of a cluster are identical.
    func coefficient(forAnyOf cpus: [Int]) -> UInt32? {
        cpus.lazy.compactMap { coefficients[$0] }.first
    }

    /// Reads a NUL-separated string list property; an absent property is an empty list.
    static func readStrings(_ deviceTree: DeviceTreeReader, _ path: String) throws -> [String] {
        guard let text = try deviceTree.reader.optionalString(path) else { return [] }
        return text.split(separator: "\0").map(String.init)
    }
}
