import EmberCore

/// The `ember_nvme_*` families of the SMART / Health Information log, and the conversion of the
/// log's units (Kelvin, percent, minutes, hours, data units) to base units.
///
/// Counters that are 128 bits wide in the log become Doubles, which are exact up to 2^53.
enum NVMeSmartFamilies {
    /// Bytes per data unit: the log counts data in thousands of 512-byte blocks.
    static let bytesPerDataUnit = 512_000.0

    static let criticalWarning = gauge(
        "critical_warning",
        "Critical warning byte of the SMART log, one bit per warning; ember_nvme_critical_warning_active splits it.")
    static let criticalWarningActive = gauge(
        "critical_warning_active",
        "Whether one critical warning bit of the SMART log is set (1) or clear (0).", extra: ["warning"])
    static let temperature = gauge(
        "temperature_celsius",
        "Temperature from the SMART log: sensor=\"composite\" or sensors 1-8 the drive implements, in degrees Celsius.",
        extra: ["sensor"])
    static let availableSpare = gauge(
        "available_spare_ratio", "Remaining spare capacity, as a ratio of the total spare (0-1).")
    static let availableSpareThreshold = gauge(
        "available_spare_threshold_ratio",
        "Available spare ratio below which the drive raises the available_spare critical warning.")
    static let percentageUsed = gauge(
        "percentage_used_ratio",
        "Vendor estimate of the rated endurance used (SMART Percentage Used / 100); may exceed 1.")
    static let enduranceGroupWarning = gauge(
        "endurance_group_critical_warning",
        "Critical warning bits of the drive's endurance groups, ORed together; 0 when none is set.")
    static let dataRead = counter("data_read_bytes_total", "Data read by the host, in bytes (SMART Data Units Read).")
    static let dataWritten = counter(
        "data_written_bytes_total", "Data written by the host, in bytes (SMART Data Units Written).")
    static let hostReadCommands = counter("host_read_commands_total", "Read commands completed by the controller.")
    static let hostWriteCommands = counter("host_write_commands_total", "Write commands completed by the controller.")
    static let controllerBusy = counter(
        "controller_busy_seconds_total", "Time the controller was busy with I/O commands, in seconds (minute steps).")
    static let powerCycles = counter("power_cycles_total", "Power cycles of the drive.")
    static let powerOn = counter("power_on_seconds_total", "Powered-on time of the drive, in seconds (hour steps).")
    static let unsafeShutdowns = counter(
        "unsafe_shutdowns_total", "Power losses without a shutdown notification from the host.")
    static let mediaErrors = counter(
        "media_errors_total", "Unrecovered data integrity errors (ECC, CRC, LBA tag mismatch) of the drive.")
    static let errorLogEntries = counter(
        "error_log_entries_total", "Error Information log entries the controller created over its life.")
    static let warningTemperatureTime = counter(
        "warning_temperature_seconds_total",
        "Time the composite temperature was at or above the warning threshold, in seconds (minute steps).")
    static let criticalTemperatureTime = counter(
        "critical_temperature_seconds_total",
        "Time the composite temperature was at or above the critical threshold, in seconds (minute steps).")
    static let thermalTransitions = counter(
        "thermal_management_transitions_total",
        "Times the controller entered thermal management level 1 or 2 (host-controlled throttling).",
        extra: ["level"])
    static let thermalTime = counter(
        "thermal_management_seconds_total", "Time spent in thermal management level 1 or 2, in seconds.",
        extra: ["level"])

    /// Adds every family for `log` of the controller `device` (`nvme0`).
    static func export(_ log: NVMeSmartLog, device: String, into sink: inout MetricSink) {
        exportWarnings(log, device: device, into: &sink)
        exportTemperatures(log, device: device, into: &sink)

        sink.add(availableSpare, Double(log.availableSparePercent) / 100, device)
        sink.add(availableSpareThreshold, Double(log.availableSpareThresholdPercent) / 100, device)
        sink.add(percentageUsed, Double(log.percentageUsed) / 100, device)

        sink.add(dataRead, Double(log.dataUnitsRead) * bytesPerDataUnit, device)
        sink.add(dataWritten, Double(log.dataUnitsWritten) * bytesPerDataUnit, device)
        sink.add(hostReadCommands, Double(log.hostReadCommands), device)
        sink.add(hostWriteCommands, Double(log.hostWriteCommands), device)
        sink.add(controllerBusy, Double(log.controllerBusyMinutes) * 60, device)
        sink.add(powerCycles, Double(log.powerCycles), device)
        sink.add(powerOn, Double(log.powerOnHours) * 3600, device)
        sink.add(unsafeShutdowns, Double(log.unsafeShutdowns), device)
        sink.add(mediaErrors, Double(log.mediaErrors), device)
        sink.add(errorLogEntries, Double(log.errorLogEntries), device)
        sink.add(warningTemperatureTime, Double(log.warningTemperatureMinutes) * 60, device)
        sink.add(criticalTemperatureTime, Double(log.criticalTemperatureMinutes) * 60, device)

        for level in 0..<2 {
            sink.add(thermalTransitions, Double(log.thermalManagementTransitions[level]), device, String(level + 1))
            sink.add(thermalTime, Double(log.thermalManagementSeconds[level]), device, String(level + 1))
        }
    }

    private static func exportWarnings(_ log: NVMeSmartLog, device: String, into sink: inout MetricSink) {
        sink.add(criticalWarning, Double(log.criticalWarning), device)
        for (bit, name) in NVMeSmartLog.criticalWarningBits.enumerated() {
            sink.add(criticalWarningActive, log.isWarningSet(bit: bit) ? 1 : 0, device, name)
        }
        sink.add(enduranceGroupWarning, Double(log.enduranceGroupCriticalWarningSummary), device)
    }

    /// Adds the composite temperature and each implemented sensor. A sensor reading 0 K is not
    /// implemented by the drive and is left out. The composite field is mandatory, so 0 K there
    /// is a controller that reports no reading, and it is left out too rather than shown as -273.15 °C.
    /// Any other value outside ``TemperatureRange`` is omitted and recorded as an error.
    private static func exportTemperatures(_ log: NVMeSmartLog, device: String, into sink: inout MetricSink) {
        let sensors = [("composite", log.compositeTemperatureKelvin)]
            + log.temperatureSensorsKelvin.enumerated().map { (String($0.offset + 1), $0.element) }
        for (sensor, kelvin) in sensors where kelvin != 0 {
            let value = celsius(kelvin)
            guard TemperatureRange.contains(millicelsius: value * 1000) else {
                let field = "SMART log of \(device), temperature sensor \(sensor)"
                sink.record(TemperatureRange.implausible(field, content: "\(kelvin) K"))
                continue
            }
            sink.add(temperature, value, device, sensor)
        }
    }

    /// Converts whole Kelvin with 0 °C = 273.15 K, so 299 K is 25.85 °C. Working in hundredths
    /// gives the Double nearest to the exact value.
    private static func celsius(_ kelvin: UInt16) -> Double {
        (Double(kelvin) * 100 - 27_315) / 100
    }

    private static func gauge(_ name: String, _ help: String, extra: [String] = []) -> MetricDescriptor {
        MetricDescriptor("ember_nvme_" + name, help, labels: ["device"] + extra)
    }

    private static func counter(_ name: String, _ help: String, extra: [String] = []) -> MetricDescriptor {
        MetricDescriptor("ember_nvme_" + name, help, type: .counter, labels: ["device"] + extra)
    }
}
