import EmberCore

/// Reads measured power from `class/hwmon`: `powerN_input` / `powerN_average` (µW), `energyN_input`
/// counters (µJ), bus voltage × current on current-sense chips without a power attribute, and
/// the Raspberry Pi's under-voltage alarm.
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

    /// One hwmon directory's file names, `name` and chip label before collisions are resolved.
    private struct Chip {
        let directory: String
        let directoryName: String
        let files: [String]
        let name: String?
        let label: String
    }

    func read(sink: inout MetricSink) -> Result {
        let classPath = reader.roots.sys("class/hwmon")
        let entries = sink.attempt({ try reader.optionalEntries(classPath) }) ?? []
        let chips = entries.compactMap { readChip(classPath + "/" + $0, directoryName: $0, sink: &sink) }
        let labels = HwmonChipLabel.makeUnique(chips.map { ($0.label, $0.directoryName) })

        var result = Result()
        for (chip, label) in zip(chips, labels) {
            readSensors(chip, label: label, into: &result, sink: &sink)
        }
        return result
    }

    private func readChip(_ directory: String, directoryName: String, sink: inout MetricSink) -> Chip? {
        guard let files = sink.attempt({ try reader.entries(directory) }) else { return nil }
        let name = files.contains("name")
            ? reader.readOrRecord(directory + "/name", into: &sink, reader.string).map(SysfsClass.trimSpace) : nil
        guard let label = HwmonChipLabel.derive(
            resolvedDevice: try? reader.fileSystem.resolvePath(directory + "/device"), nameFile: name,
            resolvedDirectory: try? reader.fileSystem.resolvePath(directory))
        else { return nil }
        return Chip(directory: directory, directoryName: directoryName, files: files, name: name, label: label)
    }

    private func readSensors(_ chip: Chip, label: String, into result: inout Result, sink: inout MetricSink) {
        let present = Set(chip.files)
        let directory = chip.directory
        if chip.name == "rpi_volt", present.contains("in0_lcrit_alarm"),
           let value = reader.readOrRecord(directory + "/in0_lcrit_alarm", into: &sink, reader.integer) {
            result.alarms.append(UndervoltageAlarm(chip: label, active: value != 0))
        }
        result.readings += powerReadings(directory, chip: label, files: chip.files, sink: &sink)
        result.readings += energyReadings(directory, chip: label, files: chip.files, sink: &sink)
        if let rails = chip.name.flatMap({ CurrentSenseChips.rails[$0] }) {
            result.readings += railReadings(directory, chip: label, rails: rails, present: present, sink: &sink)
        }
    }

    /// `powerN_input`, or `powerN_average` for a channel without `powerN_input`.
    private func powerReadings(_ directory: String, chip: String, files: [String], sink: inout MetricSink)
        -> [MeasuredReading] {
        let present = Set(files)
        var readings: [MeasuredReading] = []
        for channel in channels(files, type: "power", suffixes: ["_input", "_average"]) {
            let file = present.contains(channel + "_input") ? channel + "_input" : channel + "_average"
            if let microwatts = reader.readOrRecord(directory + "/" + file, into: &sink, reader.integer) {
                readings.append(reading(chip, channel, .watts(Double(microwatts) / 1_000_000)))
            }
        }
        return readings
    }

    private func energyReadings(_ directory: String, chip: String, files: [String], sink: inout MetricSink)
        -> [MeasuredReading] {
        var readings: [MeasuredReading] = []
        for channel in channels(files, type: "energy", suffixes: ["_input"]) {
            let path = directory + "/" + channel + "_input"
            if let microjoules = reader.readOrRecord(path, into: &sink, reader.unsigned) {
                readings.append(reading(chip, channel, .energyCounter(microjoules: microjoules, wrapsAt: nil)))
            }
        }
        return readings
    }

    /// Bus millivolts × milliamperes for each rail that has both and no power attribute of its own.
    private func railReadings(
        _ directory: String, chip: String, rails: [CurrentSenseChips.Rail], present: Set<String>,
        sink: inout MetricSink
    ) -> [MeasuredReading] {
        var readings: [MeasuredReading] = []
        for rail in rails {
            let files = [rail.voltage + "_input", rail.current + "_input"]
            guard files.allSatisfy(present.contains),
                  !present.contains(rail.power + "_input"), !present.contains(rail.power + "_average"),
                  let millivolts = reader.readOrRecord(directory + "/" + files[0], into: &sink, reader.integer),
                  let milliamperes = reader.readOrRecord(directory + "/" + files[1], into: &sink, reader.integer)
            else { continue }
            // mV × mA = µW; the magnitude, because a reversed shunt reads negative current.
            let watts = abs(Double(millivolts) * Double(milliamperes)) / 1_000_000
            readings.append(reading(chip, rail.power, .watts(watts)))
        }
        return readings
    }

    /// Returns the channels (`power1`) of `type` that have a file with one of `suffixes`, sorted.
    private func channels(_ files: [String], type: String, suffixes: [String]) -> [String] {
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
