import EmberCore

/// Maps a power domain to the regulator that supplies it, by regulator name.
///
/// The `cpu-supply` and `mali-supply` phandles come first. This table is the fallback when a
/// kernel gives regulators no `of_node` link, so the phandle matches no regulator.
/// NOTE: boards that rename the rails in their device tree need a new row here.
enum SupplyRegulatorNames {
    /// Regulator names by device-tree `compatible` of the SoC, then by domain: a CPU domain is
    /// keyed by the first CPU of its cpufreq policy (`cpu4`), the GPU as `gpu`.
    ///
    /// RK3588 names are those of the Orange Pi 5 Plus vendor and mainline board files: the A55
    /// cluster on the RK806's `vdd_cpu_lit_s0`, the A76 clusters on an RK8602 and an RK8603, the
    /// GPU on `vdd_gpu_s0`. sbc-bench output of a Rock 5B shows the same A76 names.
    static let bySoC: [String: [String: String]] = [
        "rockchip,rk3588": [
            "cpu0": "vdd_cpu_lit_s0", "cpu4": "vdd_cpu_big0_s0", "cpu6": "vdd_cpu_big1_s0", "gpu": "vdd_gpu_s0",
        ],
        "rockchip,rk3588s": [
            "cpu0": "vdd_cpu_lit_s0", "cpu4": "vdd_cpu_big0_s0", "cpu6": "vdd_cpu_big1_s0", "gpu": "vdd_gpu_s0",
        ],
    ]

    /// Returns the table for a machine whose root `compatible` strings are `compatible`.
    static func table(compatible: [String]) -> [String: String] {
        for entry in compatible {
            if let table = bySoC[entry] {
                return table
            }
        }
        return [:]
    }
}

/// Reads the voltage of regulators from `class/regulator/*/microvolts`, found by `name` or by the
/// `phandle` of their device-tree node (the `of_node` link the driver core creates).
struct RegulatorVoltages {
    private struct Directories {
        var byName: [String: String] = [:]
        var byPhandle: [UInt32: String] = [:]
    }

    let reader: SourceReader
    /// Regulator directories, found once because regulators do not come and go.
    private var directories: Directories?

    init(reader: SourceReader) {
        self.reader = reader
    }

    /// Returns the voltage in volts of the regulator whose device-tree node has `phandle`, else of
    /// the one named `name`. Returns nil when there is none or its `microvolts` file is absent,
    /// and also when the read fails, which is recorded.
    mutating func volts(phandle: UInt32? = nil, named name: String? = nil, sink: inout MetricSink) -> Double? {
        guard let found = lookUp(sink: &sink) else { return nil }
        let directory = phandle.flatMap { found.byPhandle[$0] } ?? name.flatMap { found.byName[$0] }
        return directory.flatMap { readVolts($0, sink: &sink) }
    }

    private mutating func lookUp(sink: inout MetricSink) -> Directories? {
        if directories == nil {
            directories = scan(sink: &sink)
        }
        return directories
    }

    private func readVolts(_ directory: String, sink: inout MetricSink) -> Double? {
        let path = directory + "/microvolts"
        guard let microvolts = reader.readOrRecord(path, into: &sink, reader.integer), microvolts > 0 else {
            return nil
        }
        return Double(microvolts) / 1_000_000
    }

    /// Returns regulator directories by name and phandle, or nil when the class directory failed
    /// to list, so the next call scans again.
    private func scan(sink: inout MetricSink) -> Directories? {
        let classPath = reader.roots.sys("class/regulator")
        guard let entries = sink.attempt({ try reader.optionalEntries(classPath) }) else { return nil }

        let deviceTree = DeviceTreeReader(reader: reader)
        var found = Directories()
        for entry in entries {
            let directory = classPath + "/" + entry
            if let name = reader.readOrRecord(directory + "/name", into: &sink, reader.settledString) {
                found.byName[SysfsClass.trimSpace(name)] = directory
            }
            if let phandle = sink.attempt({ try deviceTree.optionalCells(directory + "/of_node/phandle") })??.first {
                found.byPhandle[phandle] = directory
            }
        }
        return found
    }
}
