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
