import EmberCore

/// Reads `class/power_supply`: measured power of batteries and mains adapters, and the contract
/// of USB Power Delivery ports.
///
/// A tcpm supply (`tcpm-source-psy-*`, type `USB` with a `usb_type` list) reports the voltage and
/// current its port negotiated, not a measurement. An Orange Pi 5 Plus reads 0 V and 0 A on it
/// because that Type-C port is not its power input. So it is exported as a contract only.
struct PowerSupplyReader {
    let reader: SourceReader

    struct Result {
        var readings: [MeasuredReading] = []
        var contracts: [USBPowerDeliveryContract] = []
    }

    /// Supply types whose `power_now`, `voltage_now` and `current_now` are measurements.
    static let measuringTypes: Set<String> = ["Battery", "Mains"]

    func read(sink: inout MetricSink) -> Result {
        let classPath = reader.roots.sys("class/power_supply")
        var result = Result()
        for supply in sink.attempt({ try reader.optionalEntries(classPath) }) ?? [] {
            readSupply(supply, directory: classPath + "/" + supply, into: &result, sink: &sink)
        }
        return result
    }

    private func readSupply(_ supply: String, directory: String, into result: inout Result, sink: inout MetricSink) {
        guard let type = reader.readOrRecord(directory + "/type", into: &sink, reader.string) else { return }
        let usbTypes = sink.attempt { try reader.optionalString(directory + "/usb_type") } ?? nil

        if supply.hasPrefix("tcpm-source-psy-") || (type == "USB" && usbTypes != nil) {
            if let contract = readContract(supply, directory: directory, usbTypes: usbTypes ?? "", sink: &sink) {
                result.contracts.append(contract)
            }
        } else if PowerSupplyReader.measuringTypes.contains(type),
                  let watts = readWatts(directory, sink: &sink) {
            let series = PowerSeries(domain: supply, source: .powerSupply)
            result.readings.append(MeasuredReading(series: series, value: .watts(watts)))
        }
    }

    /// Returns `power_now`, else `voltage_now` × `current_now`, in watts, as a magnitude: a
    /// battery reports negative current or power while it discharges on some drivers.
    private func readWatts(_ directory: String, sink: inout MetricSink) -> Double? {
        let powerPath = directory + "/power_now"
        if reader.exists(powerPath) {
            return reader.readOrRecord(powerPath, into: &sink, reader.integer).map { abs(Double($0)) / 1_000_000 }
        }
        guard let microvolts = reader.readOrRecord(directory + "/voltage_now", into: &sink, reader.integer),
              let microamperes = reader.readOrRecord(directory + "/current_now", into: &sink, reader.integer)
        else { return nil }
        return abs(Double(microvolts) * Double(microamperes)) / 1e12
    }

    private func readContract(_ supply: String, directory: String, usbTypes: String, sink: inout MetricSink)
        -> USBPowerDeliveryContract? {
        guard let microvolts = reader.readOrRecord(directory + "/voltage_now", into: &sink, reader.integer),
              let microamperes = reader.readOrRecord(directory + "/current_now", into: &sink, reader.integer)
        else { return nil }
        return USBPowerDeliveryContract(
            supply: supply, volts: Double(microvolts) / 1_000_000, amperes: Double(microamperes) / 1_000_000,
            usbType: PowerSupplyReader.activeEntry(usbTypes))
    }

    /// Returns the bracketed entry of a sysfs choice list (`C [PD] PD_PPS` → `PD`), or "".
    static func activeEntry(_ list: String) -> String {
        for field in list.split(separator: " ") where field.hasPrefix("[") && field.hasSuffix("]") {
            return String(field.dropFirst().dropLast())
        }
        return ""
    }
}
