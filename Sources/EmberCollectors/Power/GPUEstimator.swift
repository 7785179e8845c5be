import EmberCore

/// Estimates the GPU's dynamic power from its devfreq `load` and the GPU node's
/// `dynamic-power-coefficient`, where both exist. Vendor Rockchip 6.1 kernels have the `load`
/// file, vendor 5.10 and mainline do not. Vendor RK3588 device trees set the coefficient (2982),
/// mainline does not.
struct GPUEstimator {
    private let reader: SourceReader
    private let deviceTree: DeviceTreeReader
    private var regulators: RegulatorVoltages
    private var tables: [String: OperatingPointTable?] = [:]

    init(reader: SourceReader) {
        self.reader = reader
        deviceTree = DeviceTreeReader(reader: reader)
        regulators = RegulatorVoltages(reader: reader)
    }

    /// Returns the dynamic power of each devfreq GPU with every input, keyed `gpu` (or
    /// `gpu_<device>` when there is more than one).
    mutating func estimate(compatible: [String], sink: inout MetricSink) -> [DomainEstimate] {
        let classPath = reader.roots.sys("class/devfreq")
        let devices = (sink.attempt { try reader.optionalEntries(classPath) } ?? []).filter { $0.hasSuffix(".gpu") }

        var results: [DomainEstimate] = []
        for device in devices {
            let directory = classPath + "/" + device
            guard let (input, method) = gpuInput(device, directory: directory, compatible: compatible, sink: &sink)
            else { continue }
            let domain = devices.count == 1 ? "gpu" : "gpu_" + device
            results.append(DomainEstimate(domain: domain, watts: DynamicPowerModel.watts(input), method: method))
        }
        return results
    }

    private mutating func gpuInput(
        _ device: String, directory: String, compatible: [String], sink: inout MetricSink
    ) -> (DynamicPowerInput, EstimateMethod)? {
        guard let node = nodePath(device, directory: directory),
              let coefficient = sink.attempt({ try deviceTree.optionalCells(node + "/dynamic-power-coefficient") })??
                .first,
              let load = reader.readOrRecord(directory + "/load", into: &sink, { path in
                  try DevfreqLoad.parse(reader.string(path), path: path)
              }) ?? nil
        else { return nil }

        let hertz = Double(load.frequencyHertz)
        guard let (volts, method) = gpuVolts(node, hertz: hertz, compatible: compatible, sink: &sink) else {
            return nil
        }
        let input = DynamicPowerInput(
            coefficient: Double(coefficient), volts: volts, megahertz: hertz / 1_000_000,
            busyFractions: [load.ratio])
        return (input, method)
    }

    /// Returns the GPU's device-tree node: the target of the device's `of_node` link when it
    /// points into the device tree, else `gpu@<unit address>` at the root (`fb000000.gpu` →
    /// `gpu@fb000000`), nil when neither exists.
    private func nodePath(_ device: String, directory: String) -> String? {
        if let resolved = try? reader.fileSystem.resolvePath(directory + "/device/of_node"),
           let base = try? reader.fileSystem.resolvePath(deviceTree.base), resolved.hasPrefix(base + "/") {
            return resolved
        }
        let parts = device.split(separator: ".", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let node = deviceTree.base + "/" + parts[1] + "@" + parts[0]
        return reader.fileSystem.fileKind(node) == .directory ? node : nil
    }

    private mutating func gpuVolts(_ node: String, hertz: Double, compatible: [String], sink: inout MetricSink)
        -> (Double, EstimateMethod)? {
        // Mali device trees name the GPU's regulator in `mali-supply`.
        let phandle = sink.attempt { try deviceTree.optionalCells(node + "/mali-supply") }??.first
        let name = SupplyRegulatorNames.table(compatible: compatible)["gpu"]
        if let volts = regulators.volts(phandle: phandle, named: name, sink: &sink) {
            return (volts, .regulatorVoltage)
        }
        if tables[node] == nil {
            let loader = OperatingPointTableLoader(deviceTree: deviceTree)
            tables[node] = .some(sink.attempt { try loader.table(for: node) } ?? nil)
        }
        return tables[node]??.volts(atHertz: hertz).map { ($0, .oppVoltage) }
    }
}
