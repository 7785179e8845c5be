/// The attribute paths of one function directory under `bus/pci/devices`, kept in a
/// ``ListingPlan`` by ``SysfsPCIDevices``.
///
/// Building about twenty paths per function on every sample cost over a tenth of the collector's
/// instructions (callgrind, RK3588 fixture).
struct PCIFunctionPaths {
    let address: PCIAddress
    let directory: String
    let vendor: String
    let device: String
    let classCode: String
    let driver: String
    /// Paths of ``SysfsPCIDevices/linkFiles``, in that order.
    let link: [String]
    /// The `aer_dev_*` file of each severity, in ``AERSeverity`` order.
    let aer: [(severity: AERSeverity, path: String)]
    /// The `aer_rootport_total_err_*` file of each severity, in ``AERSeverity`` order.
    let rootPortTotals: [(severity: AERSeverity, path: String)]
    let memo = PCIFunctionMemo()

    /// Returns nil when `entry` is not a function address, such as a `pci0000:00` bus directory.
    init?(entry: String, devicesPath: String) {
        guard let address = PCIAddress(entry) else { return nil }

        self.address = address
        directory = devicesPath + "/" + entry
        vendor = directory + "/vendor"
        device = directory + "/device"
        classCode = directory + "/class"
        driver = directory + "/driver"
        link = SysfsPCIDevices.linkFiles.map { [directory] in directory + "/" + $0 }
        aer = AERSeverity.allCases.map { [directory] in ($0, directory + "/" + $0.deviceFile) }
        rootPortTotals = AERSeverity.allCases.map { [directory] in ($0, directory + "/" + $0.rootPortFile) }
    }
}

/// Values derived from a function's files on the last sample, reused while the files stay the same.
///
/// AER counters rarely change, and parsing the three `aer_dev_*` files of a function cost about
/// 40 000 instructions per sample, where comparing their bytes with the last ones costs a few
/// hundred. Taking the names from the resolved paths cost about 3 500 instructions each
/// (callgrind, RK3588 test tree).
final class PCIFunctionMemo {
    private var resolvedDirectory: String?
    private var parent: PCIAddress?
    private var driverTarget: String?
    private var driver: String?
    /// The bytes of each severity's `aer_dev_*` file and the report parsed from them, in
    /// ``AERSeverity`` order. Only files that parsed are kept.
    private var aer: [(bytes: [UInt8], report: AERDeviceReport)?] = Array(repeating: nil, count: AERSeverity.allCases.count)

    /// Returns the parent address from the function's resolved directory, using `derive` when it changed.
    func parent(resolvedDirectory: String, _ derive: (String) -> PCIAddress?) -> PCIAddress? {
        if resolvedDirectory != self.resolvedDirectory {
            self.resolvedDirectory = resolvedDirectory
            parent = derive(resolvedDirectory)
        }
        return parent
    }

    /// Returns the driver name from the `driver` link's target, using `derive` when it changed.
    func driver(target: String, _ derive: (String) -> String?) -> String? {
        if target != driverTarget {
            driverTarget = target
            driver = derive(target)
        }
        return driver
    }

    /// Returns the report of an `aer_dev_*` file's bytes: the last one while the bytes stay the
    /// same, else the one `parse` returns. A parse error is thrown and nothing is kept.
    func report(
        _ bytes: [UInt8], severity: AERSeverity, _ parse: ([UInt8]) throws -> AERDeviceReport
    ) throws -> AERDeviceReport {
        if let last = aer[severity.index], last.bytes == bytes {
            return last.report
        }
        aer[severity.index] = nil
        let report = try parse(bytes)
        aer[severity.index] = (bytes, report)
        return report
    }
}
