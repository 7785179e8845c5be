import EmberCore

/// Exports each card on the MMC bus (`/sys/bus/mmc/devices/mmc0:0001`): an info series for every
/// card, for eMMC devices the JEDEC health report (life time estimation and pre-EOL state), and the
/// error counts of the card's host from debugfs.
///
/// An SD card has no `life_time` or `pre_eol_info`, so it gets only the info series. An SDIO card
/// (such as a Wi-Fi module) has no `name`, `manfid`, `oemid` or `serial`, so those labels are empty.
public final class MMCCollector: Collector {
    private let reader: SourceReader
    private var absence: AbsenceLog
    /// The last `err_stats` text of each host that parsed, with its counts, so unchanged text is
    /// not parsed again. One host's entry is under 2 KiB.
    private var errorStats: [String: (text: String, counts: [(kind: String, count: UInt64)])] = [:]

    static let info = MetricDescriptor(
        "ember_mmc_info",
        "MMC bus card: type (MMC, SD, SDIO), product name, manufacturer and OEM ids, serial and block device; "
            + "value 1.",
        labels: ["device", "type", "name", "manfid", "oemid", "serial", "block"])
    static let lifeTimeLevel = MetricDescriptor(
        "ember_mmc_life_time_level",
        "eMMC device life time estimation code (JEDEC): 1 = 0-10 % used, each step 10 % more, 10 = 90-100 %, "
            + "11 = exceeded; estimate A is the SLC-mode area, B the MLC area.",
        labels: ["device", "estimate"])
    static let lifeUsed = MetricDescriptor(
        "ember_mmc_life_time_used_max_ratio",
        "Upper bound of the eMMC life used from the life time estimation code (0.1-1.0; 1.1 means exceeded).",
        labels: ["device", "estimate"])
    static let preEOL = MetricDescriptor(
        "ember_mmc_pre_eol_level",
        "eMMC pre-end-of-life state (JEDEC): 1 normal, 2 warning (80 % of reserved blocks used), 3 urgent.",
        labels: ["device"])

    static let hostErrors = MetricDescriptor(
        "ember_mmc_host_errors_total",
        "Errors the card's MMC host controller counted, by kind (debugfs mmcN/err_stats, root only). "
            + "A write to err_stats resets them.",
        type: .counter, labels: ["device", "kind"])

    public init(context: CollectorContext) {
        reader = context.reader
        absence = AbsenceLog(logger: context.logger)
    }

    public func update(into sink: inout MetricSink) throws {
        let busPath = reader.roots.sys("bus/mmc/devices")
        var statsPaths: Set<String> = []
        for device in try SysfsClass.listDevices(busPath, reader: reader, sink: &sink, absence: &absence) {
            let directory = busPath + "/" + device
            collectInfo(directory, device: device, into: &sink)
            collectLifeTime(directory, device: device, into: &sink)
            collectPreEOL(directory, device: device, into: &sink)
            collectHostErrors(device: device, statsPaths: &statsPaths, into: &sink)
        }
        // Forgets hosts whose card went away.
        if errorStats.count > statsPaths.count {
            errorStats = errorStats.filter { statsPaths.contains($0.key) }
        }
    }

    /// Adds the info series. An absent attribute becomes an empty label, but a failed read omits the
    /// series, so that it never reads as a card without that attribute.
    private func collectInfo(_ directory: String, device: String, into sink: inout MetricSink) {
        var labels = [device]
        for attribute in ["type", "name", "manfid", "oemid", "serial"] {
            let path = directory + "/" + attribute
            // The card's identity, read again only at a rescan; a new card is a new device.
            guard let value = sink.attempt({ try reader.optionalSettledString(path) }) else { return }
            labels.append(SysfsClass.trimSpace(value ?? ""))
        }
        guard let blocks = sink.attempt({ try reader.optionalEntries(directory + "/block") }) else { return }

        // An eMMC's boot partitions are disks of their own (`mmcblk0boot0`) and sort after the user area.
        labels.append(blocks.first ?? "")
        sink.add(Self.info, 1, labelValues: labels)
    }

    /// Adds the error counts of the card's host (`mmc0` for `mmc0:0001`). The MMC core keeps them
    /// per host, and a host serves one card, so they are exported under the card's name.
    ///
    /// NOTE: only host drivers that count errors fill the file, as SDHCI does, and the others print zeros.
    private func collectHostErrors(device: String, statsPaths: inout Set<String>, into sink: inout MetricSink) {
        let path = reader.roots.debug(device.prefix { $0 != ":" } + "/err_stats")
        statsPaths.insert(path)
        do {
            for entry in try parseErrorStats(try reader.table(path), path: path) {
                sink.add(Self.hostErrors, Double(entry.count), device, entry.kind)
            }
        } catch let error as FileError where error.isNotFound {
            // Kernels before the file existed, and systems without debugfs mounted.
            absence.noteAbsent(path)
        } catch {
            sink.record(error, grantedBy: "root")
        }
    }

    /// Returns the counts of `text`, parsed only when it differs from the last text of `path`.
    private func parseErrorStats(_ text: String, path: String) throws -> [(kind: String, count: UInt64)] {
        if let cached = errorStats[path], cached.text == text {
            return cached.counts
        }
        let counts = try MMCHealth.parseErrorStats(text, path: path)
        errorStats[path] = (text, counts)
        return counts
    }

    private func collectLifeTime(_ directory: String, device: String, into sink: inout MetricSink) {
        guard let codes = readLifeTime(directory, into: &sink) else { return }

        for (estimate, code) in [("A", codes.typeA), ("B", codes.typeB)] {
            sink.add(Self.lifeTimeLevel, Double(code), device, estimate)
            if let ratio = MMCHealth.lifeUsedUpperBound(code) {
                sink.add(Self.lifeUsed, ratio, device, estimate)
            }
        }
    }

    /// Reads `life_time`, or on kernels that split it (one file per type, `0x%02X`),
    /// `life_time_est_typ_a` and `life_time_est_typ_b`.
    private func readLifeTime(_ directory: String, into sink: inout MetricSink) -> (typeA: UInt8, typeB: UInt8)? {
        let path = directory + "/life_time"
        guard let text = sink.attempt({ try reader.optionalString(path) }) else { return nil }
        if let text {
            return sink.attempt { try MMCHealth.parseLifeTime(text, path: path) }
        }

        guard let typeA = readOptionalCode(directory + "/life_time_est_typ_a", into: &sink),
              let typeB = readOptionalCode(directory + "/life_time_est_typ_b", into: &sink)
        else { return nil }
        return (typeA, typeB)
    }

    private func readOptionalCode(_ path: String, into sink: inout MetricSink) -> UInt8? {
        guard let text = sink.attempt({ try reader.optionalString(path) }) ?? nil else { return nil }
        return sink.attempt { try MMCHealth.parseCode(text, path: path) }
    }

    private func collectPreEOL(_ directory: String, device: String, into sink: inout MetricSink) {
        let path = directory + "/pre_eol_info"
        guard let text = sink.attempt({ try reader.optionalString(path) }) ?? nil,
              let code = sink.attempt({ try MMCHealth.parseCode(text, path: path) })
        else { return }

        sink.add(Self.preEOL, Double(code), device)
    }
}
