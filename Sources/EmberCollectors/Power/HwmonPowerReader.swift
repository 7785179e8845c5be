import EmberCore

/// Reads measured power from `class/hwmon`: `powerN_input` / `powerN_average` (µW), `energyN_input`
/// counters (µJ), bus voltage × current on current-sense chips without a power attribute, and
/// the Raspberry Pi's under-voltage alarm.
///
/// Each series' domain is `<chip>/<channel>`, with the chip named as node_exporter names it
/// (`platform_ina226_0`, or the `name` file without a device link), so it joins `node_hwmon_*`.
struct HwmonPowerReader {
    let reader: SourceReader

    struct Result {
        var readings: [MeasuredReading] = []
        var alarms: [UndervoltageAlarm] = []
    }

    func read(sink: inout MetricSink) -> Result {
        let classPath = reader.roots.sys("class/hwmon")
        var result = Result()
        for entry in sink.attempt({ try reader.optionalEntries(classPath) }) ?? [] {
            readChip(classPath + "/" + entry, into: &result, sink: &sink)
        }
        return result
    }

    private func readChip(_ directory: String, into result: inout Result, sink: inout MetricSink) {
        guard let files = sink.attempt({ try reader.entries(directory) }) else { return }
        let present = Set(files)
        let name = present.contains("name")
            ? reader.readOrRecord(directory + "/name", into: &sink, reader.string).map(SysfsClass.trimSpace) : nil
        guard let chip = HwmonChipLabel.derive(
            resolvedDevice: try? reader.fileSystem.resolvePath(directory + "/device"), nameFile: name,
            resolvedDirectory: try? reader.fileSystem.resolvePath(directory))
        else { return }

        if name == "rpi_volt", present.contains("in0_lcrit_alarm"),
           let value = reader.readOrRecord(directory + "/in0_lcrit_alarm", into: &sink, reader.integer) {
            result.alarms.append(UndervoltageAlarm(chip: chip, active: value != 0))
        }
        result.readings += powerReadings(directory, chip: chip, files: files, sink: &sink)
        result.readings += energyReadings(directory, chip: chip, files: files, sink: &sink)
        if let rails = name.flatMap({ CurrentSenseChips.rails[$0] }) {
            result.readings += railReadings(directory, chip: chip, rails: rails, present: present, sink: &sink)
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
