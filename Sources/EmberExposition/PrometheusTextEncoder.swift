import EmberCore

/// The Prometheus text exposition format, version 0.0.4, as client_golang writes it.
public enum PrometheusTextEncoder {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Appends the exposition of every planned family to `buffer`, with `# HELP` and `# TYPE` lines.
    public static func encode(_ plan: ExpositionPlan, into buffer: inout [UInt8]) {
        encode(plan, into: &buffer) { _, _ in }
    }

    /// Appends the exposition and calls `valueWritten` with the start and end offsets of each value in
    /// `buffer`, in the order the series are written.
    static func encode(_ plan: ExpositionPlan, into buffer: inout [UInt8], valueWritten: (Int, Int) -> Void) {
        for family in plan.families {
            let descriptor = family.descriptor
            ExpositionWriter.appendMetadata("HELP", name: descriptor.name, text: descriptor.help, escapeQuotes: false,
                                            to: &buffer)
            ExpositionWriter.appendMetadata("TYPE", name: descriptor.name, text: descriptor.type.rawValue,
                                            escapeQuotes: false, to: &buffer)
            for entry in family.entries {
                ExpositionWriter.appendSeries(plan.samples[entry.sample], labels: family.labelSets[entry.labelSet],
                                              to: &buffer)
                let start = buffer.count
                GoFloatFormat.append(plan.values[entry.sample], to: &buffer)
                valueWritten(start, buffer.count)
                buffer.append(UInt8(ascii: "\n"))
            }
        }
    }

    /// Encodes `samples` into a new buffer; the report counts the samples left out.
    public static func encode(_ samples: [Sample]) -> (bytes: [UInt8], report: EncodingReport) {
        let plan = ExpositionPlan(samples: samples)
        var bytes: [UInt8] = []
        encode(plan, into: &bytes)
        return (bytes, plan.report)
    }
}
