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
        /// ``HwmonPowerFiles/powerChannels`` of the chip.
        let powerChannels: [String]
        /// ``HwmonPowerFiles/energyChannels`` of the chip.
        let energyChannels: [String]

        func path(_ file: String) -> String? {
            directories[file].map { $0 + "/" + file }
        }
    }

    /// Reads every chip. The caller keeps `chips`, `labels` and `uniqueLabels` between runs. A
    /// chip's state keeps the last `name` read, so a failed name read does not change a label,
    /// and its file map, which is built again only when its directories change.
    func read(
        chips states: inout HwmonChipStates<HwmonPowerFiles>, labels: inout HwmonChipLabelMemo,
        uniqueLabels: inout HwmonUniqueLabelMemo, sink: inout MetricSink
    ) -> Result {
        let entries = sink.attempt({ try reader.optionalEntries(states.classPath) }) ?? []
        let chips = states.states(for: entries).compactMap { state in
            readChip(state, labels: &labels, sink: &sink)
        }
        let unique = uniqueLabels.makeUnique(labels: chips.map(\.label), directoryNames: chips.map(\.directoryName))

        var result = Result()
        for (chip, label) in zip(chips, unique) {
            readSensors(chip, label: label, into: &result, sink: &sink)
        }
        return result
    }

    private func readChip(
        _ state: HwmonChipState<HwmonPowerFiles>, labels: inout HwmonChipLabelMemo, sink: inout MetricSink
    ) -> Chip? {
        guard let own = sink.attempt({ try reader.fileSystem.listDirectory(state.directory) }) else { return nil }
        var inDevice: [String] = []
        if reader.fileSystem.fileKind(state.devicePath) == .directory {
            // A failed listing is recorded, and the chip keeps the files of its own directory.
            inDevice = sink.attempt({ try reader.fileSystem.listDirectory(state.devicePath) }) ?? []
        }
        let files = state.plan(own: own, inDevice: inDevice)

        // The chip's `name` is the hwmon one: an I2C device directory has a `name` file of its own.
        var name: String?
        if files.ownHasName {
            // A name that fails to read is bridged with the last one read, as in the hwmon
            // collector, and a chip without one is skipped, so no label falls back to `hwmonN`.
            if let text = reader.readOrRecord(state.namePath, into: &sink, reader.settledString) {
                name = SysfsClass.trimSpace(text)
                state.knownName = name
            } else if let known = state.knownName {
                name = known
            } else {
                return nil
            }
        }
        guard let label = state.label(
            resolvedDevice: try? reader.fileSystem.resolvePath(state.devicePath), nameFile: name,
            resolvedDirectory: try? reader.fileSystem.resolvePath(state.directory), memo: &labels)
        else { return nil }
        return Chip(
            directoryName: state.directoryName, directories: files.directories, name: name, label: label,
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

/// The files of one hwmon chip by name, kept while the listings of its directories stay the same.
///
/// Building the map and the channel lists from every listing was most of the cost of reading a
/// chip on each sample. A file that appears or goes away changes a listing, which builds them
/// again. It costs an estimated 100 bytes per file of the chip (a few KiB per chip).
final class HwmonPowerFiles: HwmonListingPlan {
    private let own: [String]
    private let inDevice: [String]
    /// The directory of each file by file name: `hwmonN` or `hwmonN/device`, where a file in
    /// `device/` wins.
    let directories: [String: String]
    let ownHasName: Bool
    /// The channels (`power1`) with a `_input` or `_average` file, sorted.
    let powerChannels: [String]
    /// The channels (`energy1`) with an `_input` file, sorted.
    let energyChannels: [String]

    required init(directory: String, own: [String], inDevice: [String]) {
        self.own = own
        self.inDevice = inDevice
        var directories = Dictionary(own.map { ($0, directory) }) { first, _ in first }
        let device = directory + "/device"
        directories.merge(inDevice.map { ($0, device) }) { _, inDevice in inDevice }
        self.directories = directories
        ownHasName = own.contains("name")

        let files = Array(directories.keys)
        powerChannels = HwmonPowerReader.channels(files, type: "power", suffixes: ["_input", "_average"])
        energyChannels = HwmonPowerReader.channels(files, type: "energy", suffixes: ["_input"])
    }

    func matches(own: [String], inDevice: [String]) -> Bool {
        own == self.own && inDevice == self.inDevice
    }
}
