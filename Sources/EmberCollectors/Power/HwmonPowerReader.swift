import EmberCore

/// Reads measured power from `class/hwmon`: `powerN_input` / `powerN_average` (µW), `energyN_input`
/// counters (µJ), bus voltage × current on current-sense chips without a power attribute, and
/// the Raspberry Pi's under-voltage alarm.
///
/// Attributes are read from `hwmonN/` and from `hwmonN/device/`, where drivers on the older
/// registration API (such as `acpi_power_meter`) keep them. A file in `device/` wins, as in the
/// hwmon collector.
///
/// Each series' domain is `<chip>/<channel>`, with the chip named as node_exporter names it
/// (`i2c_1_1_0040` from the device path, or the `name` file without a device link) and made
/// unique as the hwmon collector makes it, so it joins `node_hwmon_*`.
struct HwmonPowerReader {
    let reader: SourceReader

    struct Result {
        var readings: [MeasuredReading] = []
        var alarms: [UndervoltageAlarm] = []
    }

    /// One hwmon directory's attribute files, `name` and chip label before collisions are resolved.
    private struct Chip {
        let directoryName: String
        /// The directory of each file by file name: `hwmonN/` or `hwmonN/device/`. Full paths are
        /// built only for the files read, because a chip lists far more files than it has readings.
        let directories: [String: String]
        let name: String?
        let label: String
        /// ``HwmonFileIndex/Files/powerChannels`` of the chip.
        let powerChannels: [String]
        /// ``HwmonFileIndex/Files/energyChannels`` of the chip.
        let energyChannels: [String]

        func path(_ file: String) -> String? {
            directories[file].map { $0 + "/" + file }
        }
    }

    /// Reads every chip. `knownNames` is the last `name` read from each hwmon directory, by full
    /// path, which the caller keeps between runs so a failed name read does not change a label.
    /// `fileIndex` and `labels` are kept by the caller between runs too, so a chip's file map is
    /// built again only when its directories change, and its label only when its paths change.
    func read(
        knownNames: inout [String: String], fileIndex: inout HwmonFileIndex, labels: inout HwmonChipLabelMemo,
        sink: inout MetricSink
    ) -> Result {
        let classPath = reader.roots.sys("class/hwmon")
        let entries = sink.attempt({ try reader.optionalEntries(classPath) }) ?? []
        let chips = entries.compactMap { entry in
            readChip(
                classPath + "/" + entry, directoryName: entry, knownNames: &knownNames, fileIndex: &fileIndex,
                labels: &labels, sink: &sink)
        }
        // A directory that went away may come back as another chip under the same hwmonN.
        let present = Set(entries.map { classPath + "/" + $0 })
        knownNames = knownNames.filter { present.contains($0.key) }
        fileIndex.removeUnused()
        let labels = HwmonChipLabel.makeUnique(chips.map { ($0.label, $0.directoryName) })

        var result = Result()
        for (chip, label) in zip(chips, labels) {
            readSensors(chip, label: label, into: &result, sink: &sink)
        }
        return result
    }

    private func readChip(
        _ directory: String, directoryName: String, knownNames: inout [String: String],
        fileIndex: inout HwmonFileIndex, labels: inout HwmonChipLabelMemo, sink: inout MetricSink
    ) -> Chip? {
        guard let own = sink.attempt({ try reader.fileSystem.listDirectory(directory) }) else { return nil }
        let device = directory + "/device"
        var inDevice: [String]?
        if reader.fileSystem.fileKind(device) == .directory {
            // A failed listing is recorded, and the chip keeps the files of its own directory.
            inDevice = sink.attempt({ try reader.fileSystem.listDirectory(device) }) ?? []
        }
        let files = fileIndex.files(chip: directory, own: own, inDevice: inDevice)

        // The chip's `name` is the hwmon one: an I2C device directory has a `name` file of its own.
        var name: String?
        if files.ownHasName {
            let path = directory + "/name"
            // A name that fails to read is bridged with the last one read, as in the hwmon
            // collector, and a chip without one is skipped, so no label falls back to `hwmonN`.
            if let text = reader.readOrRecord(path, into: &sink, reader.string) {
                name = SysfsClass.trimSpace(text)
                knownNames[directory] = name
            } else if let known = knownNames[directory] {
                name = known
            } else {
                return nil
            }
        }
        guard let label = labels.label(
            resolvedDevice: try? reader.fileSystem.resolvePath(device), nameFile: name,
            resolvedDirectory: try? reader.fileSystem.resolvePath(directory))
        else { return nil }
        return Chip(
            directoryName: directoryName, directories: files.directories, name: name, label: label,
            powerChannels: files.powerChannels, energyChannels: files.energyChannels)
    }

    private func readSensors(_ chip: Chip, label: String, into result: inout Result, sink: inout MetricSink) {
        if chip.name == "rpi_volt", let path = chip.path("in0_lcrit_alarm"),
           let value = reader.readOrRecord(path, into: &sink, reader.integer) {
            result.alarms.append(UndervoltageAlarm(chip: label, active: value != 0))
        }
        result.readings += powerReadings(chip, label: label, sink: &sink)
        result.readings += energyReadings(chip, label: label, sink: &sink)
        if let rails = chip.name.flatMap({ CurrentSenseChips.rails[$0] }) {
            result.readings += railReadings(chip, label: label, rails: rails, sink: &sink)
        }
    }

    /// `powerN_input`, or `powerN_average` for a channel without `powerN_input`.
    private func powerReadings(_ chip: Chip, label: String, sink: inout MetricSink) -> [MeasuredReading] {
        var readings: [MeasuredReading] = []
        for channel in chip.powerChannels {
            guard let path = chip.path(channel + "_input") ?? chip.path(channel + "_average") else { continue }
            // The magnitude, as for rails and supplies: a bidirectional meter reads negative power
            // while current flows backwards, and energy must not count down.
            if let microwatts = reader.readOrRecord(path, into: &sink, reader.integer) {
                readings.append(reading(label, channel, .watts(abs(Double(microwatts)) / 1_000_000)))
            }
        }
        return readings
    }

    private func energyReadings(_ chip: Chip, label: String, sink: inout MetricSink) -> [MeasuredReading] {
        var readings: [MeasuredReading] = []
        for channel in chip.energyChannels {
            guard let path = chip.path(channel + "_input") else { continue }
            if let microjoules = reader.readOrRecord(path, into: &sink, reader.unsigned) {
                readings.append(reading(label, channel, .energyCounter(microjoules: microjoules, wrapsAt: nil)))
            }
        }
        return readings
    }

    /// Bus millivolts × milliamperes for each rail that has both and no power attribute of its own.
    private func railReadings(
        _ chip: Chip, label: String, rails: [CurrentSenseChips.Rail], sink: inout MetricSink
    ) -> [MeasuredReading] {
        var readings: [MeasuredReading] = []
        for rail in rails {
            guard let voltagePath = chip.path(rail.voltage + "_input"),
                  let currentPath = chip.path(rail.current + "_input"),
                  chip.directories[rail.power + "_input"] == nil, chip.directories[rail.power + "_average"] == nil,
                  let millivolts = reader.readOrRecord(voltagePath, into: &sink, reader.integer),
                  let milliamperes = reader.readOrRecord(currentPath, into: &sink, reader.integer)
            else { continue }
            // mV × mA = µW; the magnitude, because a reversed shunt reads negative current.
            let watts = abs(Double(millivolts) * Double(milliamperes)) / 1_000_000
            readings.append(reading(label, rail.power, .watts(watts)))
        }
        return readings
    }

    /// Returns the channels (`power1`) of `type` that have a file with one of `suffixes`, sorted.
    static func channels(_ files: [String], type: String, suffixes: [String]) -> [String] {
        var found: Set<String> = []
        for file in files where file.hasPrefix(type) {
            for suffix in suffixes where file.hasSuffix(suffix) {
                let channel = String(file.dropLast(suffix.count))
                if channel.count > type.count, channel.dropFirst(type.count).allSatisfy(isDecimalDigit) {
                    found.insert(channel)
                }
            }
        }
        return found.sorted()
    }

    private func reading(_ chip: String, _ channel: String, _ value: MeasuredValue) -> MeasuredReading {
        MeasuredReading(series: PowerSeries(domain: chip + "/" + channel, source: .hwmon), value: value)
    }
}

/// The files of each hwmon chip by name, kept while the listings of its directories stay the same.
///
/// Building the map and the channel lists from every listing was most of the cost of reading a
/// chip on each sample. A file that appears or goes away changes a listing, which builds them
/// again. An entry costs an estimated 100 bytes per file of the chip (a few KiB per chip).
struct HwmonFileIndex {
    struct Files {
        /// The directory of each file by file name: `hwmonN` or `hwmonN/device`, where a file in
        /// `device/` wins.
        let directories: [String: String]
        let ownHasName: Bool
        /// The channels (`power1`) with a `_input` or `_average` file, sorted.
        let powerChannels: [String]
        /// The channels (`energy1`) with an `_input` file, sorted.
        let energyChannels: [String]

        init(directories: [String: String], ownHasName: Bool) {
            self.directories = directories
            self.ownHasName = ownHasName
            let files = Array(directories.keys)
            powerChannels = HwmonPowerReader.channels(files, type: "power", suffixes: ["_input", "_average"])
            energyChannels = HwmonPowerReader.channels(files, type: "energy", suffixes: ["_input"])
        }
    }

    private var chips: [String: (own: [String], inDevice: [String]?, files: Files)] = [:]
    private var used: Set<String> = []

    /// Returns the files of the chip in `chip`, given the unsorted listings of it and its `device/`.
    mutating func files(chip: String, own: [String], inDevice: [String]?) -> Files {
        used.insert(chip)
        if let cached = chips[chip], cached.own == own, cached.inDevice == inDevice {
            return cached.files
        }

        var directories = Dictionary(own.map { ($0, chip) }) { first, _ in first }
        if let inDevice {
            let device = chip + "/device"
            directories.merge(inDevice.map { ($0, device) }) { _, inDevice in inDevice }
        }
        let files = Files(directories: directories, ownHasName: own.contains("name"))
        chips[chip] = (own, inDevice, files)
        return files
    }

    /// Forgets chips not asked for since the last call.
    mutating func removeUnused() {
        if chips.count != used.count {
            chips = chips.filter { used.contains($0.key) }
        }
        used.removeAll(keepingCapacity: true)
    }
}
