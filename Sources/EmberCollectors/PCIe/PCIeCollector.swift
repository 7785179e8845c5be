import EmberCore

/// Exports every PCI function: identity with pci.ids names, bound driver, PCI Express link speed
/// and width against the link's capability, and AER error counters.
///
/// Functions come from `bus/pci/devices` under the sysfs root, or from an `lspci -xxxx` dump
/// when `--collector.pcie.dump-file` is set. AER counters are the kernel's values: they reset
/// when the device is removed and probed again, and at boot.
public final class PCIeCollector: Collector {
    public static let dumpFlag = "collector.pcie.dump-file"

    private enum Source {
        case sysfs(SysfsPCIDevices)
        case dump(DumpPCIDevices)
    }

    private let source: Source
    private let names: PCINameCache
    private var absence: AbsenceLog
    private var labels: [PCIAddress: PCIeSeriesLabels] = [:]

    public init(context: CollectorContext) throws {
        absence = AbsenceLog(logger: context.logger)
        let dumpFile = context.options.string(Self.dumpFlag, default: "")
        if !dumpFile.isEmpty {
            let libpci = try LibPCIAccess(.dump(file: dumpFile))
            source = .dump(DumpPCIDevices(libpci: libpci))
            names = PCINameCache(libpci: libpci)
            return
        }

        var libpci: LibPCIAccess?
        do {
            libpci = try LibPCIAccess(.sysfs(busPath: context.roots.sys("bus/pci")))
        } catch {
            context.logger.warn(
                "libpci unavailable: PCI names fall back to hex IDs and links without sysfs attributes are omitted",
                ("err", error.description))
        }
        source = .sysfs(SysfsPCIDevices(reader: context.reader, libpci: libpci))
        names = PCINameCache(libpci: libpci)
    }

    public func update(into sink: inout MetricSink) throws {
        let readings = switch source {
        case .sysfs(let sysfs): try sysfs.read(into: &sink, absence: &absence)
        case .dump(let dump): try dump.read(into: &sink)
        }
        let devices = PCIeLinkPartners.assign(readings)
        for device in devices {
            emit(device, into: &sink)
        }
        // Every present function has labels, so more labels than functions means some went away.
        if labels.count > devices.count {
            let present = Set(devices.map(\.address))
            labels = labels.filter { present.contains($0.key) }
        }
        names.releaseLibraryNames()
    }

    private func emit(_ device: PCIDeviceReading, into sink: inout MetricSink) {
        let function = labels.value(forKey: device.address) { PCIeSeriesLabels(address: device.address) }
        if let identity = device.identity {
            let resolved = names.names(for: identity)
            sink.add(
                PCIeFamilies.info, 1, function.address, function.parentLabel(device.parent), resolved.vendorID,
                resolved.deviceID, resolved.classID, resolved.vendor, resolved.device, resolved.deviceClass,
                device.driver ?? "")
        }
        emitLink(device.link, addressLabels: function.addressLabels, into: &sink)
        emitAER(device, labels: function, into: &sink)
    }

    private func emitLink(_ link: PCIeLink, addressLabels: [String], into sink: inout MetricSink) {
        // GT/s to transfers per second, the base unit.
        if let speed = link.currentSpeed {
            sink.add(PCIeFamilies.speed, speed * 1e9, labelValues: addressLabels)
        }
        if let speed = link.maxSpeed {
            sink.add(PCIeFamilies.maxSpeed, speed * 1e9, labelValues: addressLabels)
        }
        if let width = link.currentWidth {
            sink.add(PCIeFamilies.width, Double(width), labelValues: addressLabels)
        }
        if let width = link.maxWidth {
            sink.add(PCIeFamilies.maxWidth, Double(width), labelValues: addressLabels)
        }
        if let downgraded = link.isDowngraded {
            sink.add(PCIeFamilies.downgraded, downgraded ? 1 : 0, labelValues: addressLabels)
        }
    }

    private func emitAER(_ device: PCIDeviceReading, labels: PCIeSeriesLabels, into sink: inout MetricSink) {
        for report in device.aer {
            for (entry, kindLabels) in zip(report.counts, labels.labels(of: report)) {
                sink.add(PCIeFamilies.aerErrors, Double(entry.count), labelValues: kindLabels)
            }
            if let total = report.total {
                sink.add(PCIeFamilies.aerReports, Double(total), labelValues: labels.severityLabels[report.severity.index])
            }
        }
        for (severity, count) in device.rootPortTotals {
            sink.add(PCIeFamilies.aerRootPortReports, Double(count), labelValues: labels.severityLabels[severity.index])
        }
    }
}

/// The `ember_pcie_*` families.
enum PCIeFamilies {
    static let info = MetricDescriptor(
        "ember_pcie_device_info",
        "PCI function identity: hex IDs, pci.ids names (the hex ID when not listed), upstream bridge and "
            + "bound driver (empty when none); value 1.",
        labels: ["address", "parent", "vendor_id", "device_id", "class_id", "vendor_name", "device_name",
                 "class_name", "driver"])
    static let speed = MetricDescriptor(
        "ember_pcie_link_speed_transfers_per_second",
        "Speed the PCI Express link trained at, in transfers per second (8 GT/s is 8e9).", labels: ["address"])
    static let maxSpeed = MetricDescriptor(
        "ember_pcie_link_max_speed_transfers_per_second",
        "Highest speed the function's PCI Express port supports, in transfers per second.", labels: ["address"])
    static let width = MetricDescriptor(
        "ember_pcie_link_width_lanes", "Number of lanes the PCI Express link trained at.", labels: ["address"])
    static let maxWidth = MetricDescriptor(
        "ember_pcie_link_max_width_lanes", "Highest number of lanes the function's PCI Express port supports.",
        labels: ["address"])
    static let downgraded = MetricDescriptor(
        "ember_pcie_link_downgraded",
        "1 when the PCI Express link trained below the speed or width both of its ends support, else 0.",
        labels: ["address"])
    static let aerErrors = MetricDescriptor(
        "ember_pcie_aer_errors_total",
        "AER errors the function logged, by severity and kind, from aer_dev_*; the kernel's count.",
        type: .counter, labels: ["address", "severity", "kind"])
    static let aerReports = MetricDescriptor(
        "ember_pcie_aer_reports_total",
        "AER error reports the function logged, by severity (TOTAL_ERR_* of aer_dev_*); the kernel's count.",
        type: .counter, labels: ["address", "severity"])
    static let aerRootPortReports = MetricDescriptor(
        "ember_pcie_aer_rootport_reports_total",
        "AER error messages a root port received from the functions below it, by severity; the kernel's count.",
        type: .counter, labels: ["address", "severity"])
}

/// pci.ids names by identity, kept across runs so libpci's parsed copy of pci.ids can be freed.
final class PCINameCache {
    /// The names and the hex IDs of an identity, formatted once.
    struct Names {
        let vendor: String
        let device: String
        let deviceClass: String
        let vendorID: String
        let deviceID: String
        let classID: String
    }

    private let libpci: LibPCIAccess?
    private var cache: [PCIIdentity: Names] = [:]
    private var loadedLibraryNames = false

    init(libpci: LibPCIAccess?) {
        self.libpci = libpci
    }

    /// Returns the names of `identity`, each the hex ID when pci.ids does not list it.
    func names(for identity: PCIIdentity) -> Names {
        if let known = cache[identity] {
            return known
        }
        loadedLibraryNames = libpci != nil
        let names = Names(
            vendor: libpci?.vendorName(identity.vendor) ?? identity.vendorID,
            device: libpci?.deviceName(vendor: identity.vendor, device: identity.device) ?? identity.deviceID,
            deviceClass: libpci?.className(identity.classCode) ?? identity.classID,
            vendorID: identity.vendorID, deviceID: identity.deviceID, classID: identity.classID)
        cache[identity] = names
        return names
    }

    /// Frees libpci's name list when this run loaded it.
    func releaseLibraryNames() {
        guard loadedLibraryNames else { return }
        libpci?.releaseNames()
        loadedLibraryNames = false
    }
}
