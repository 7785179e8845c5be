import EmberCore

/// Exports the error records the kernel keeps for storage. These are the I/O counters of SCSI disks
/// (SATA, USB and SAS disks, `sdX`), the error log of each ext4 file system, and the block-device
/// file systems that the kernel forced read-only under a read-write mount.
///
/// All values are the kernel's own, except that a sign-extended SCSI counter is cut back to 32
/// bits. The SCSI counters are 32 bits wide and wrap. The ext4 count lives in the superblock, so
/// it survives reboots and only `e2fsck` clears it.
public final class StorageErrorsCollector: Collector {
    private let reader: SourceReader
    private var absence: AbsenceLog
    /// The last mount table read and what it gave, so an unchanged table is not parsed again. A
    /// table is a few KiB on a typical system, and this keeps one copy of it.
    private var lastMountTable: (path: String, text: String, result: ForcedReadOnlyTable)?

    /// The SCSI device counters under `/sys/block/sdX/device/`, printed by the kernel as `0x%llx`.
    static let scsiCounters: [(file: String, descriptor: MetricDescriptor)] = [
        ("ioerr_cnt", counter("ember_block_io_errors_total", "SCSI commands to the disk that ended in an error.")),
        ("iorequest_cnt", counter("ember_block_io_requests_total", "SCSI commands sent to the disk.")),
        ("iodone_cnt", counter("ember_block_io_completions_total", "SCSI commands the disk completed.")),
        ("iotmo_cnt", counter("ember_block_io_timeouts_total", "SCSI commands to the disk that timed out.")),
    ]
    static let ext4Errors = counter(
        "ember_ext4_errors_total", "Errors ext4 recorded in the superblock since the last e2fsck (errors_count).")
    static let ext4FirstError = MetricDescriptor(
        "ember_ext4_first_error_timestamp_seconds",
        "Time of the first error ext4 recorded, in seconds since the epoch; absent when there is none.",
        labels: ["device"])
    static let ext4LastError = MetricDescriptor(
        "ember_ext4_last_error_timestamp_seconds",
        "Time of the latest error ext4 recorded, in seconds since the epoch; absent when there is none.",
        labels: ["device"])
    static let forcedReadOnly = MetricDescriptor(
        "ember_filesystem_forced_readonly",
        "1 when the file system is read-only under a read-write mount, as after ext4 errors=remount-ro; else 0.",
        labels: ["device", "mountpoint", "fstype"])

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        collectSCSICounters(into: &sink)
        collectExt4Errors(into: &sink)
        collectForcedReadOnly(into: &sink)
    }

    private func collectSCSICounters(into sink: inout MetricSink) {
        let blockPath = reader.roots.sys("block")
        guard let devices = listDevices(blockPath, into: &sink) else { return }

        for device in devices {
            for counter in Self.scsiCounters {
                let path = blockPath + "/" + device + "/device/" + counter.file
                if let value = sink.attempt({ try readOptionalHex(path) }) ?? nil {
                    sink.add(counter.descriptor, Double(Self.scsiCounterValue(value)), device)
                }
            }
        }
    }

    /// Reads `/sys/fs/ext4/<device>/`, skipping the `features` entry, which is not a file system.
    private func collectExt4Errors(into sink: inout MetricSink) {
        let ext4Path = reader.roots.sys("fs/ext4")
        guard let entries = listDevices(ext4Path, into: &sink) else { return }

        for device in entries where device != "features" {
            let directory = ext4Path + "/" + device + "/"
            guard let count = sink.attempt({ try readOptionalDecimal(directory + "errors_count") }) ?? nil else {
                continue
            }

            sink.add(Self.ext4Errors, Double(count), device)
            addTimestamp(directory + "first_error_time", Self.ext4FirstError, device: device, into: &sink)
            addTimestamp(directory + "last_error_time", Self.ext4LastError, device: device, into: &sink)
        }
    }

    /// Adds an error time. 0 means ext4 recorded no error, so the series is left out.
    private func addTimestamp(
        _ path: String, _ descriptor: MetricDescriptor, device: String, into sink: inout MetricSink
    ) {
        if let seconds = sink.attempt({ try readOptionalDecimal(path) }) ?? nil, seconds > 0 {
            sink.add(descriptor, Double(seconds), device)
        }
    }

    /// Reads the mount table and adds one series per mount whose source is under `/dev/`. Of mounts
    /// stacked on one mount point, the last entry wins because it is the visible one.
    private func collectForcedReadOnly(into sink: inout MetricSink) {
        guard let (path, text) = readMountTable(into: &sink) else { return }

        // The table is read on every sample, so a forced remount shows in the next sample, but it
        // is parsed only when its text changed.
        let table: ForcedReadOnlyTable
        if let last = lastMountTable, last.path == path, last.text == text {
            table = last.result
        } else {
            table = ForcedReadOnlyTable(parsing: text)
            lastMountTable = (path, text, table)
        }

        for line in table.malformed {
            sink.record(ParseError(path: path, expected: "a mountinfo line with a \" - \" separator", content: line))
        }
        for entry in table.visible {
            let value: Double = entry.isForcedReadOnly ? 1 : 0
            sink.add(Self.forcedReadOnly, value, entry.source, entry.mountPoint, entry.fileSystemType)
        }
    }

    /// Reads the mount table of PID 1, which is the host's when `--path.procfs` points at a host's
    /// procfs from inside a container. When that one is absent or denied, reads the agent's own, as
    /// node_exporter does.
    private func readMountTable(into sink: inout MetricSink) -> (path: String, text: String)? {
        for relative in ["1/mountinfo", "self/mountinfo"] {
            let path = reader.roots.proc(relative)
            do {
                return (path, try reader.table(path))
            } catch let error as FileError where error.isNotFound {
                absence.noteAbsent(path)
            } catch let error as FileError where error.isPermissionDenied && relative.hasPrefix("1/") {
                continue
            } catch {
                sink.record(error)
                return nil
            }
        }
        return nil
    }

    /// Returns a SCSI counter's 32-bit value. The kernel keeps it in an `atomic_t` (a signed 32-bit
    /// int) and prints it through `unsigned long long`, so from 2^31 on the text reads
    /// `0xffffffff80000000` and up. Values that high are the sign extension, never a real count.
    static func scsiCounterValue(_ printed: UInt64) -> UInt64 {
        printed >= 0xFFFF_FFFF_8000_0000 ? printed & 0xFFFF_FFFF : printed
    }

    /// Lists a directory of devices. A listing failure is recorded rather than thrown, so the other
    /// two sources are still read.
    private func listDevices(_ path: String, into sink: inout MetricSink) -> [String]? {
        do {
            return try SysfsClass.listDevices(path, reader: reader, sink: &sink, absence: &absence)
        } catch {
            sink.record(error)
            return nil
        }
    }

    private func readOptionalHex(_ path: String) throws -> UInt64? {
        guard let text = try reader.optionalString(path) else { return nil }

        let trimmed = SysfsClass.trimSpace(text)
        guard trimmed.hasPrefix("0x"), let value = UInt64(trimmed.dropFirst(2), radix: 16) else {
            throw ParseError(path: path, expected: "a hex counter such as 0x1a", content: text)
        }
        return value
    }

    private func readOptionalDecimal(_ path: String) throws -> UInt64? {
        guard let text = try reader.optionalString(path) else { return nil }

        guard let value = UInt64(SysfsClass.trimSpace(text)) else {
            throw ParseError(path: path, expected: "an unsigned integer", content: text)
        }
        return value
    }

    private static func counter(_ name: String, _ help: String) -> MetricDescriptor {
        MetricDescriptor(name, help, type: .counter, labels: ["device"])
    }
}

/// The mounts of block devices in a mount table, one per mount point, and its malformed lines.
struct ForcedReadOnlyTable {
    /// Mounts whose source is under `/dev/`, in the order of their mount points' first appearance.
    /// Of mounts stacked on one mount point, the last entry wins because it is the visible one.
    let visible: [MountInfoEntry]
    let malformed: [String]

    init(parsing text: String) {
        let (entries, malformed) = MountInfoParser.parse(text)
        var visible: [String: MountInfoEntry] = [:]
        var order: [String] = []
        for entry in entries where entry.source.hasPrefix("/dev/") {
            if visible.updateValue(entry, forKey: entry.mountPoint) == nil {
                order.append(entry.mountPoint)
            }
        }
        self.visible = order.compactMap { visible[$0] }
        self.malformed = malformed
    }
}
