import EmberCore

/// The temperatures a sensor in a running computer can report, used to tell a reading from a
/// driver's sentinel or a decoding error.
///
/// The hwmon, thermal_zone, nvme and powersupplyclass collectors apply the same rule:
/// - a reading (hwmon `temp*_input`, a thermal zone's `temp`, an NVMe SMART sensor, a battery's
///   `temp`) outside the range is omitted and recorded as a ``ParseError``, so it is counted in
///   `ember_collector_errors_total` and logged once per file, never exported as a value;
/// - a limit (hwmon `temp*_max`, `temp*_crit_hyst`, a trip point) outside the range is the
///   driver's way to say "no threshold" and is omitted without an error. NVMe drives report an
///   unset threshold as 0 K or 65535 K (-273.15 °C, 65261.85 °C), and the kernel's
///   THERMAL_TEMP_INVALID (-274000) marks a trip point without a valid temperature.
///
/// NOTE: the bounds are a judgement, chosen wide enough for liquid-nitrogen cooling and
/// thermocouple converters. An NVMe sensor that reports 57 K (-216.15 °C) falls outside them.
enum TemperatureRange {
    /// Below liquid nitrogen's boiling point (-196 °C), the coldest coolant in practical use.
    static let minimumMillicelsius: Int64 = -200_000
    /// Above the upper end of every standard thermocouple type (type C ends near 2320 °C).
    static let maximumMillicelsius: Int64 = 3_000_000

    /// The plausible range as error messages describe it to the operator.
    static let expectation = "a temperature between -200000 and 3000000 millidegrees Celsius"

    static func contains(millicelsius value: Double) -> Bool {
        value >= Double(minimumMillicelsius) && value <= Double(maximumMillicelsius)
    }

    static func contains(millicelsius value: Int64) -> Bool {
        value >= minimumMillicelsius && value <= maximumMillicelsius
    }

    /// Returns the error recorded for an implausible reading of the file at `path`.
    static func implausible(_ path: String, content: String) -> ParseError {
        ParseError(path: path, expected: expectation, content: content)
    }
}
