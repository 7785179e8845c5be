import EmberCore

/// Exports `node_nvme_info` for each controller under `class/nvme`, as node_exporter 1.5 does.
///
/// A controller whose `firmware_rev`, `model`, `serial` or `state` cannot be read is left out,
/// because an info series with a missing label would look like a different device.
public final class NVMeCollector: Collector {
    private let reader: SourceReader
    private var absence: AbsenceLog

    static let info = MetricDescriptor(
        "node_nvme_info", "NVMe controller identity and state (live, resetting, dead, …); value 1.",
        labels: ["device", "firmware_revision", "model", "serial", "state"])

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let classPath = reader.roots.sys("class/nvme")
        for device in try SysfsClass.listDevices(classPath, reader: reader, sink: &sink, absence: &absence) {
            let directory = classPath + "/" + device
            guard let firmware = read(directory + "/firmware_rev", &sink),
                  let model = read(directory + "/model", &sink),
                  let serial = read(directory + "/serial", &sink),
                  let state = read(directory + "/state", &sink)
            else { continue }

            sink.add(Self.info, 1, device, firmware, model, serial, state)
        }
    }

    /// Reads a text attribute; the controller pads `model` and `serial` with spaces, which are trimmed.
    private func read(_ path: String, _ sink: inout MetricSink) -> String? {
        sink.attempt { try SysfsClass.labelString(path, reader: reader) }
    }
}
