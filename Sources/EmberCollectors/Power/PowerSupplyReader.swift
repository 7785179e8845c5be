import EmberCore

/// Reads `class/power_supply`: measured power of batteries, mains adapters and USB chargers, and
/// the contract of USB Power Delivery ports.
///
/// A Type-C port manager's supply (`tcpm-source-psy-*`, `ucsi-source-psy-*`, or any `USB` supply
/// whose `usb_type` list offers PD) reports the voltage and current its port negotiated, not a
/// measurement. An Orange Pi 5 Plus reads 0 V and 0 A on its tcpm supply because that Type-C port
/// is not its power input. So such a supply is exported as a contract only.
struct PowerSupplyReader {
    let reader: SourceReader

    struct Result {
        var readings: [MeasuredReading] = []
        var contracts: [USBPowerDeliveryContract] = []
    }

    /// Supply types whose `power_now`, `voltage_now` and `current_now` are measurements, unless
    /// the supply is a USB-PD port (``reportsContract(supply:type:usbTypes:)``). A `USB` charger
    /// without PD reports what it measures, such as the AXP20x PMIC's VBUS voltage and current.
    static let measuringTypes: Set<String> = ["Battery", "Mains", "USB"]

    /// Name prefixes of the supplies that the tcpm and UCSI Type-C drivers register per port.
    static let portManagerPrefixes = ["tcpm-source-psy-", "ucsi-source-psy-"]

    func read(sink: inout MetricSink) -> Result {
        let classPath = reader.roots.sys("class/power_supply")
        var result = Result()
        for supply in sink.attempt({ try reader.optionalEntries(classPath) }) ?? [] {
            readSupply(supply, directory: classPath + "/" + supply, into: &result, sink: &sink)
        }
        return result
    }

    private func readSupply(_ supply: String, directory: String, into result: inout Result, sink: inout MetricSink) {
        // The supply's type is its driver's; the USB type changes as chargers negotiate.
        guard let type = reader.readOrRecord(directory + "/type", into: &sink, reader.settledString) else { return }
        // A `usb_type` that exists but fails to read skips the supply, because treating it as
        // absent would export the contract with an empty usb_type label.
        guard let usbTypes = sink.attempt({ try reader.optionalString(directory + "/usb_type") }) else { return }

        if PowerSupplyReader.reportsContract(supply: supply, type: type, usbTypes: usbTypes) {
            if let contract = readContract(supply, directory: directory, usbTypes: usbTypes ?? "", sink: &sink) {
                result.contracts.append(contract)
            }
        } else if PowerSupplyReader.measuringTypes.contains(type),
                  let watts = readWatts(directory, sink: &sink) {
            let series = PowerSeries(domain: supply, source: .powerSupply)
            result.readings.append(MeasuredReading(series: series, value: .watts(watts)))
        }
    }

    /// Returns whether the supply reports a negotiated USB-PD contract: a Type-C port manager's
    /// supply, or a `USB` supply whose `usb_type` list has a PD entry (`PD`, `PD_DRP`, `PD_PPS`).
    /// BC1.2 chargers list only `SDP`, `DCP`, `CDP` and the like.
    static func reportsContract(supply: String, type: String, usbTypes: String?) -> Bool {
        if portManagerPrefixes.contains(where: supply.hasPrefix) {
            return true
        }
        guard type == "USB", let usbTypes else { return false }
        return usbTypes.split(separator: " ").contains { entry in
            entry.hasPrefix("PD") || entry.hasPrefix("[PD")
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
