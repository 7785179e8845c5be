import EmberCore

/// Byte-level pieces shared by the text and OpenMetrics encoders, which differ only in metadata lines,
/// counter names and the trailer.
enum ExpositionWriter {
    /// Writes `# KEYWORD name rest\n`, escaping `rest` as HELP text.
    static func appendMetadata(
        _ keyword: String, name: String, text: String, escapeQuotes: Bool, to buffer: inout [UInt8]
    ) {
        buffer.append(contentsOf: "# ".utf8)
        buffer.append(contentsOf: keyword.utf8)
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: name.utf8)
        buffer.append(UInt8(ascii: " "))
        appendEscaped(text, escapeQuotes: escapeQuotes, to: &buffer)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Writes one sample line: name, labels in byte order of their names, `value` and a newline.
    /// `suffix` is appended to the metric name (OpenMetrics counters need `_total`). The value is given
    /// apart because a reused plan keeps an earlier snapshot's samples (see ``ExpositionPlan/values``).
    static func appendSample(
        _ sample: Sample, value: Double, labels: PlannedFamily.LabelSet, suffix: String = "",
        to buffer: inout [UInt8]
    ) {
        appendSeries(sample, labels: labels, suffix: suffix, to: &buffer)
        GoFloatFormat.append(value, to: &buffer)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Writes the start of a sample line: name, labels in byte order of their names and the space
    /// before the value.
    static func appendSeries(
        _ sample: Sample, labels: PlannedFamily.LabelSet, suffix: String = "", to buffer: inout [UInt8]
    ) {
        buffer.append(contentsOf: sample.descriptor.name.utf8)
        buffer.append(contentsOf: suffix.utf8)

        if !labels.order.isEmpty {
            buffer.append(UInt8(ascii: "{"))
            for (count, position) in labels.order.enumerated() {
                if count > 0 {
                    buffer.append(UInt8(ascii: ","))
                }
                buffer.append(contentsOf: labels.names[position].utf8)
                buffer.append(contentsOf: "=\"".utf8)
                appendEscaped(sample.labelValues[position], escapeQuotes: true, to: &buffer)
                buffer.append(UInt8(ascii: "\""))
            }
            buffer.append(UInt8(ascii: "}"))
        }

        buffer.append(UInt8(ascii: " "))
    }

    /// Escapes `\` as `\\` and a line feed as `\n`, plus `"` as `\"` in label values and OpenMetrics HELP.
    /// Nothing else needs escaping: a Swift string is valid UTF-8, and only a line feed ends a line.
    static func appendEscaped(_ text: String, escapeQuotes: Bool, to buffer: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"):
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"):
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\"") where escapeQuotes:
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            default:
                buffer.append(byte)
            }
        }
    }
}
