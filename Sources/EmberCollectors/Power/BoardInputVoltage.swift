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

    /// The outcome of reading one numeric attribute.
    private enum Lookup {
        case value(Double)
        case absent
        /// The read or parse failed; the error is recorded.
        case failed
    }

    func read(sink: inout MetricSink) -> Double? {
        let parts = channel.split(separator: "/")
        let directory = reader.roots.sys("bus/iio/devices/" + parts[0])
        let attribute = directory + "/" + parts[1]
        let shared = directory + "/" + String(parts[1].prefix { !isDecimalDigit($0) })

        guard case .value(let raw) = lookUp(attribute + "_raw", required: true, sink: &sink),
              let offset = readOffset(attribute, sink: &sink),
              let scale = readScale(attribute, shared: shared, sink: &sink)
        else { return nil }
        return (raw + offset) * scale / 1000 * divider
    }

    /// Returns `in_voltageK_offset`, 0 when the driver has none, nil when the read failed.
    private func readOffset(_ attribute: String, sink: inout MetricSink) -> Double? {
        switch lookUp(attribute + "_offset", required: false, sink: &sink) {
        case .value(let offset): offset
        case .absent: 0
        case .failed: nil
        }
    }

    /// Returns the channel's own scale, else the shared one of its type, in millivolts per count.
    private func readScale(_ attribute: String, shared: String, sink: inout MetricSink) -> Double? {
        switch lookUp(attribute + "_scale", required: false, sink: &sink) {
        case .value(let scale):
            return scale
        case .failed:
            return nil
        case .absent:
            guard case .value(let scale) = lookUp(shared + "_scale", required: true, sink: &sink) else { return nil }
            return scale
        }
    }

    /// Reads one number. A missing required file is recorded as an error, because the flag named
    /// this channel.
    private func lookUp(_ path: String, required: Bool, sink: inout MetricSink) -> Lookup {
        do {
            let text = try reader.string(path)
            guard let value = Double(SysfsClass.trimSpace(text)), value.isFinite else {
                sink.record(ParseError(path: path, expected: "a number", content: text))
                return .failed
            }
            return .value(value)
        } catch let error as FileError where error.isNotFound && !required {
            return .absent
        } catch {
            sink.record(error)
            return .failed
        }
    }
}
