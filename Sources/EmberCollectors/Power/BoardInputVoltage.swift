import EmberCore

/// Reads the board's input voltage from an IIO ADC channel behind a resistor divider.
///
/// volts = (raw + offset) × scale / 1000 × divider, with `scale` in millivolts per count from
/// `in_voltageK_scale` or the shared `in_voltage_scale`, and the optional `in_voltageK_offset`
/// (Linux ABI, Documentation/ABI/testing/sysfs-bus-iio). On a Rock 5B the SARADC's channel 6
/// sits behind a 100 kΩ / 8.2 kΩ divider, a ratio of about 13.2.
struct BoardInputVoltage {
    let reader: SourceReader
    /// `iio:deviceN/in_voltageK`.
    let channel: String
    let divider: Double

    func read(sink: inout MetricSink) -> Double? {
        let parts = channel.split(separator: "/")
        let directory = reader.roots.sys("bus/iio/devices/" + parts[0])
        let attribute = directory + "/" + parts[1]
        let shared = directory + "/" + String(parts[1].prefix { !isDecimalDigit($0) })

        guard let raw = readNumber(attribute + "_raw", required: true, sink: &sink) ?? nil else { return nil }
        guard let offset = readNumber(attribute + "_offset", required: false, sink: &sink) else { return nil }
        guard let ownScale = readNumber(attribute + "_scale", required: false, sink: &sink) else { return nil }
        let scale = ownScale ?? readNumber(shared + "_scale", required: true, sink: &sink) ?? nil
        guard let scale else { return nil }
        return (raw + (offset ?? 0)) * scale / 1000 * divider
    }

    /// Returns `.some(nil)` for an absent optional file, nil for a failure (recorded), and
    /// records a missing required file as an error because the flag named this channel.
    private func readNumber(_ path: String, required: Bool, sink: inout MetricSink) -> Double?? {
        do {
            let text = try reader.string(path)
            guard let value = Double(SysfsClass.trimSpace(text)), value.isFinite else {
                sink.record(ParseError(path: path, expected: "a number", content: text))
                return nil
            }
            return .some(value)
        } catch let error as FileError where error.isNotFound && !required {
            return .some(nil)
        } catch {
            sink.record(error)
            return nil
        }
    }
}
