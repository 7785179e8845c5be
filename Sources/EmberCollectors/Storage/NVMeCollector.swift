import EmberCore

/// Exports `node_nvme_info` for each controller under `class/nvme`, as node_exporter 1.5 does,
/// and the controller's SMART / Health Information log as `ember_nvme_*`.
///
/// A controller whose `firmware_rev`, `model`, `serial` or `state` cannot be read is left out of
/// `node_nvme_info`, because an info series with a missing label would look like a different device.
/// The SMART log is read from the device node (`/dev/nvme0`) with an admin command, at most once per
/// `--collector.nvme.smart-interval`. Without CAP_SYS_ADMIN only `node_nvme_info` is exported.
public final class NVMeCollector: Collector {
    public static let smartIntervalFlag = "collector.nvme.smart-interval"
    public static let defaultSmartIntervalSeconds = 60.0

    private let reader: SourceReader
    private var absence: AbsenceLog
    private let smart: NVMeSmartPoller

    static let info = MetricDescriptor(
        "node_nvme_info", "NVMe controller identity and state (live, resetting, dead, …); value 1.",
        labels: ["device", "firmware_revision", "model", "serial", "state"])

    /// Creates the collector with the kernel's admin channel and the system clock.
    /// Throws ``CollectorOptionError`` when `--collector.nvme.smart-interval` is not a positive duration.
    public convenience init(context: CollectorContext) throws {
        try self.init(context: context, channel: SystemNVMeAdminChannel(), clock: SystemClock())
    }

    /// Creates the collector with an injected admin channel and clock, for tests.
    public init(context: CollectorContext, channel: any NVMeAdminChannel, clock: any Clock) throws {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
        let interval = try context.options.duration(Self.smartIntervalFlag, default: Self.defaultSmartIntervalSeconds)
        smart = NVMeSmartPoller(channel: channel, clock: clock, intervalSeconds: interval, logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let classPath = reader.roots.sys("class/nvme")
        let devices = try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence)
        for device in devices {
            collectInfo(classPath + "/" + device, device: device, into: &sink)
            smart.update(device: device, devicePath: reader.roots.dev(device), into: &sink)
        }
        smart.forget(devicesOtherThan: Set(devices))
    }

    private func collectInfo(_ directory: String, device: String, into sink: inout MetricSink) {
        // The identity is read again only at a rescan; the controller's state at every sample.
        guard let firmware = read(directory + "/firmware_rev", settled: true, &sink),
              let model = read(directory + "/model", settled: true, &sink),
              let serial = read(directory + "/serial", settled: true, &sink),
              let state = read(directory + "/state", settled: false, &sink)
        else { return }

        sink.add(Self.info, 1, device, firmware, model, serial, state)
    }

    /// Reads a text attribute and trims it, because the controller pads `model` and `serial` with spaces.
    private func read(_ path: String, settled: Bool, _ sink: inout MetricSink) -> String? {
        sink.attempt { try SysfsClass.labelString(path, reader: reader, settled: settled) }
    }
}
