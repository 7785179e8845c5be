#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// Reads PCI functions from `bus/pci/devices` under the sysfs root.
///
/// Link speed and width come from the `*_link_*` attributes. Where a function has none of them
/// (kernels before 4.13, or attributes hidden for the device), they come from the PCI Express
/// capability in configuration space, read through libpci's sysfs method under the same root.
final class SysfsPCIDevices {
    let reader: SourceReader
    /// Nil when libpci could not be initialised; then there is no configuration space fallback.
    let libpci: LibPCIAccess?
    /// Functions whose configuration space has no PCI Express capability, or that this user may
    /// read only 64 bytes of. Neither changes while the function exists, so they are not read again.
    ///
    /// NOTE: a function replaced by hot-plug at the same address between two runs keeps the outcome.
    private var configOutcomes: [PCIAddress: ConfigOutcome] = [:]
    /// The paths of each entry of `bus/pci/devices`; nil for an entry that is not a function.
    private var functions = ListingPlan<PCIFunctionPaths?>()

    private enum ConfigOutcome {
        case noExpressCapability
        case denied
    }

    init(reader: SourceReader, libpci: LibPCIAccess?) {
        self.reader = reader
        self.libpci = libpci
    }

    static let linkFiles = ["current_link_speed", "current_link_width", "max_link_speed", "max_link_width"]

    func read(into sink: inout MetricSink, absence: inout AbsenceLog) throws -> [PCIDeviceReading] {
        let devicesPath = reader.roots.sys("bus/pci/devices")
        let entries = try SysfsClass.listDevices(devicesPath, reader: reader, sink: &sink, absence: &absence)
        var configDenied = false
        var devices: [PCIDeviceReading] = []
        for paths in functions.values(for: entries, { PCIFunctionPaths(entry: $0, devicesPath: devicesPath) }) {
            guard let paths else { continue }
            devices.append(readDevice(paths, configDenied: &configDenied, sink: &sink))
        }

        let present = Set(devices.map(\.address))
        configOutcomes = configOutcomes.filter { present.contains($0.key) }
        return devices
    }

    private func readDevice(
        _ paths: PCIFunctionPaths, configDenied: inout Bool, sink: inout MetricSink
    ) -> PCIDeviceReading {
        var device = PCIDeviceReading(address: paths.address)
        device.identity = readIdentity(paths, sink: &sink)
        device.driver = driverName(paths)
        device.parent = parentAddress(paths)

        device.link = readLink(paths, sink: &sink)
        if device.link.isEmpty, !paths.link.contains(where: reader.exists) {
            device.link = readLinkFromConfig(
                paths.address, path: paths.directory, configDenied: &configDenied, sink: &sink)
        }
        if device.isBridge, device.link.isActive != true, let hasChildren = hasChildFunctions(paths.directory) {
            // sysfs has no link-active attribute. A bridge with nothing below it has no link, and one
            // with a function below it has an active link even when Link Status reads inactive, as
            // in QEMU 7.2 (see DumpPCIDevices).
            device.link.isActive = hasChildren
        }

        device.aer = readAER(paths, sink: &sink)
        device.rootPortTotals = paths.rootPortTotals.compactMap { severity, path in
            reader.readOrRecord(path, into: &sink, reader.unsigned).map { (severity, $0) }
        }
        return device
    }

    private func readIdentity(_ paths: PCIFunctionPaths, sink: inout MetricSink) -> PCIIdentity? {
        guard let vendor = readHex(paths.vendor, sink: &sink),
              let device = readHex(paths.device, sink: &sink),
              let classCode = readHex(paths.classCode, sink: &sink)
        else { return nil }
        guard vendor <= 0xFFFF, device <= 0xFFFF, classCode <= 0xFF_FFFF else {
            sink.record(ParseError(path: paths.vendor, expected: "16-bit vendor and device IDs, 24-bit class",
                                   content: "\(vendor) \(device) \(classCode)"))
            return nil
        }
        return PCIIdentity(vendor: UInt16(vendor), device: UInt16(device), classCode: UInt32(classCode))
    }

    /// Reads an attribute printed as `0x10ec`. The IDs are the function's own and change only
    /// when another device takes its address, which a rescan finds.
    private func readHex(_ path: String, sink: inout MetricSink) -> UInt64? {
        sink.attempt {
            let text = SysfsClass.trimSpace(try reader.settledString(path))
            guard text.hasPrefix("0x"), let value = UInt64(text.dropFirst(2), radix: 16) else {
                throw ParseError(path: path, expected: "a hexadecimal ID such as 0x10ec", content: text)
            }
            return value
        }
    }

    /// Returns the name of the bound driver, the last component of the `driver` link's target, or
    /// nil when there is no link. It takes the name from the end of the target, where
    /// `SourceReader.linkName` splits the whole target into components.
    private func driverName(_ paths: PCIFunctionPaths) -> String? {
        guard let target = try? reader.fileSystem.readLink(paths.driver) else { return nil }
        return paths.memo.driver(target: target) { lastPathComponent($0).map(String.init) }
    }

    /// Returns whether the function's directory contains functions below it; nil when unreadable.
    /// The listing is not sorted, because the order does not matter here.
    private func hasChildFunctions(_ path: String) -> Bool? {
        guard let entries = try? reader.fileSystem.listDirectory(path) else { return nil }
        return entries.contains { PCIAddress($0) != nil }
    }

    /// The bridge above the function: the previous component of its resolved device path.
    private func parentAddress(_ paths: PCIFunctionPaths) -> PCIAddress? {
        guard let resolved = try? reader.fileSystem.resolvePath(paths.directory) else { return nil }
        return paths.memo.parent(resolvedDirectory: resolved) { resolved in
            lastTwoPathComponents(resolved)?.parent.flatMap { PCIAddress(String($0)) }
        }
    }

    private func readLink(_ paths: PCIFunctionPaths, sink: inout MetricSink) -> PCIeLink {
        func speed(_ path: String, settled: Bool, _ sink: inout MetricSink) -> Double? {
            reader.readOrRecord(path, into: &sink) { file in
                try PCIeLinkDecoding.parseSpeed(try settled ? reader.settledString(file) : reader.string(file), path: file)
            } ?? nil
        }
        func width(_ path: String, settled: Bool, _ sink: inout MetricSink) -> Int? {
            reader.readOrRecord(path, into: &sink) { file in
                PCIeLinkDecoding.width(try SysfsClass.integer(file, reader: reader, settled: settled))
            } ?? nil
        }
        // The paths are in the order of `linkFiles`: current speed and width, then maximum. The
        // current link is read at every sample, because a link that trains down is a fault. The
        // maximum is the hardware's, so it is read again only at a rescan.
        return PCIeLink(
            currentSpeed: speed(paths.link[0], settled: false, &sink),
            currentWidth: width(paths.link[1], settled: false, &sink),
            maxSpeed: speed(paths.link[2], settled: true, &sink), maxWidth: width(paths.link[3], settled: true, &sink))
    }

    /// Reads the link from configuration space. Without CAP_SYS_ADMIN the kernel returns only the
    /// first 64 bytes of `config`, which contain no capabilities. That is recorded once per run as
    /// an unavailable source, not as a failure.
    private func readLinkFromConfig(
        _ address: PCIAddress, path: String, configDenied: inout Bool, sink: inout MetricSink
    ) -> PCIeLink {
        let configPath = path + "/config"
        guard let libpci, reader.exists(configPath) else { return PCIeLink() }

        switch configOutcomes[address] {
        case .noExpressCapability:
            return PCIeLink()
        case .denied:
            recordDenied(configPath, configDenied: &configDenied, sink: &sink)
            return PCIeLink()
        case nil:
            break
        }

        do {
            let config = try readConfig(libpci, address, path: configPath, length: 256)
            guard let link = PCIeLinkDecoding.link(fromConfig: config) else {
                configOutcomes[address] = .noExpressCapability
                return PCIeLink()
            }
            return link
        } catch {
            noteConfigFailure(error, libpci, address, path: configPath, configDenied: &configDenied, sink: &sink)
            return PCIeLink()
        }
    }

    /// Reads configuration space through libpci, which opens and reads `config` itself, under the
    /// collector's per-read deadline.
    ///
    /// NOTE: the kernel waits uninterruptibly while a function's configuration access is blocked
    /// (during a reset) or while it resumes the device, so the deadline ends such a read only when
    /// the kernel returns. The read still counts as timed out and `config` is skipped until a retry.
    private func readConfig(
        _ libpci: LibPCIAccess, _ address: PCIAddress, path: String, length: Int
    ) throws -> [UInt8] {
        try reader.fileSystem.withReadDeadline(reading: path) {
            try libpci.readConfig(address, offset: 0, length: length)
        }
    }

    /// Tells a denied read apart from a failed one: a function whose first 64 bytes are readable
    /// denies the rest to this user. A timed-out read is not tried again, because it would wait for
    /// the deadline once more.
    private func noteConfigFailure(
        _ failure: any Error, _ libpci: LibPCIAccess, _ address: PCIAddress, path: String, configDenied: inout Bool,
        sink: inout MetricSink
    ) {
        guard (failure as? FileError)?.timeout == nil else {
            sink.record(failure)
            return
        }
        do {
            _ = try readConfig(libpci, address, path: path, length: 64)
            configOutcomes[address] = .denied
            recordDenied(path, configDenied: &configDenied, sink: &sink)
        } catch let retryError as FileError where retryError.timeout != nil {
            sink.record(retryError)
        } catch {
            sink.record(failure)
        }
    }

    private func recordDenied(_ configPath: String, configDenied: inout Bool, sink: inout MetricSink) {
        guard !configDenied else { return }
        configDenied = true
        sink.record(FileError(operation: "read beyond 64 bytes of", path: configPath, code: EACCES),
                    grantedBy: "CAP_SYS_ADMIN")
    }

    private func readAER(_ paths: PCIFunctionPaths, sink: inout MetricSink) -> [AERDeviceReport] {
        paths.aer.compactMap { severity, file in
            reader.readOrRecord(file, into: &sink) { file in
                // Read and decoded as `SourceReader.table(_:)` does, but parsed only when changed.
                let bytes = try reader.fileSystem.readFile(file, limit: 4 << 20)
                return try paths.memo.report(bytes, severity: severity) { bytes in
                    try AERDeviceReport.parse(Text.decodeReplacingInvalid(bytes), severity: severity, path: file)
                }
            }
        }
    }
}

/// Reads PCI functions from an `lspci -xxxx` dump through libpci's dump method: IDs and the
/// link come from the dumped configuration space. A dump has no drivers and no AER counters.
struct DumpPCIDevices {
    let libpci: LibPCIAccess

    func read(into sink: inout MetricSink) throws -> [PCIDeviceReading] {
        var secondaryBuses: [PCIAddress: Int] = [:]
        var devices = try libpci.scan().map { address in
            var device = PCIDeviceReading(address: address)
            // A dump made with `lspci -x` holds only 64 bytes, enough for the IDs but not the link.
            let config = sink.attempt { try libpci.readConfig(address, offset: 0, length: 64) }
            device.identity = config.flatMap(PCIeLinkDecoding.identity(fromConfig:))
            if device.isBridge, let config {
                secondaryBuses[address] = Int(config[0x19])
            }
            if let full = try? libpci.readConfig(address, offset: 0, length: 256) {
                device.link = PCIeLinkDecoding.link(fromConfig: full) ?? PCIeLink()
            }
            return device
        }

        Self.assignParents(&devices, secondaryBuses: secondaryBuses)
        Self.markLinksWithChildrenActive(&devices)
        return devices
    }

    /// Sets each function's parent to the bridge whose secondary bus (config byte 0x19) it sits
    /// on, as sysfs nests it. A secondary bus not above the bridge's own bus is unconfigured.
    static func assignParents(_ devices: inout [PCIDeviceReading], secondaryBuses: [PCIAddress: Int]) {
        var bridgeByBus: [[Int]: PCIAddress] = [:]
        for (bridge, bus) in secondaryBuses where bus > bridge.bus {
            bridgeByBus[[bridge.domain, bus]] = bridge
        }
        for index in devices.indices {
            devices[index].parent = bridgeByBus[[devices[index].address.domain, devices[index].address.bus]]
        }
    }

    /// Marks the link of a bridge with a function below it as active, because the function was
    /// enumerated through that link. QEMU 7.2's root ports report Data Link Layer Link Active
    /// clear for a device present at boot, which would hide their downgrade.
    static func markLinksWithChildrenActive(_ devices: inout [PCIDeviceReading]) {
        let parents = Set(devices.compactMap(\.parent))
        for index in devices.indices where devices[index].link.isActive == false {
            if parents.contains(devices[index].address) {
                devices[index].link.isActive = true
            }
        }
    }
}
