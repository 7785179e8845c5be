import EmberCore

/// The OpenMetrics 1.0.0 text format.
///
/// It differs from the Prometheus text format in four ways that matter here. A counter family is named
/// without its `_total` suffix, while its samples keep it. `untyped` is called `unknown`. HELP escapes `"`
/// too. The exposition ends with `# EOF`.
public enum OpenMetricsEncoder {
    public static let contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    /// Appends the exposition of every planned family and the `# EOF` trailer to `buffer`.
    ///
    /// Returns the plan's report plus the counter families dropped because their name without `_total`
    /// is already taken by an earlier family (a gauge `foo` beside a counter `foo_total`).
    @discardableResult
    public static func encode(_ plan: ExpositionPlan, into buffer: inout [UInt8]) -> EncodingReport {
        var report = plan.report
        var familyNames = Set<String>()

        for family in plan.families {
            let descriptor = family.descriptor
            let name = familyName(descriptor)
            guard familyNames.insert(name).inserted else {
                report.conflictingSamples += family.entries.count
                report.noteFamily(descriptor.name)
                continue
            }

            ExpositionWriter.appendMetadata("HELP", name: name, text: descriptor.help, escapeQuotes: true,
                                            to: &buffer)
            ExpositionWriter.appendMetadata("TYPE", name: name, text: typeName(descriptor.type), escapeQuotes: true,
                                            to: &buffer)
            let suffix = descriptor.type == .counter && name == descriptor.name ? "_total" : ""
            for entry in family.entries {
                ExpositionWriter.appendSample(plan.samples[entry.sample], value: plan.values[entry.sample],
                                              labels: family.labelSets[entry.labelSet], suffix: suffix, to: &buffer)
            }
        }

        buffer.append(contentsOf: "# EOF\n".utf8)
        return report
    }

    /// Encodes `samples` into a new buffer; the report counts the samples left out.
    public static func encode(_ samples: [Sample]) -> (bytes: [UInt8], report: EncodingReport) {
        var bytes: [UInt8] = []
        let report = encode(ExpositionPlan(samples: samples), into: &bytes)
        return (bytes, report)
    }

    /// The family name: a counter's name without `_total`. A counter named without the suffix keeps its
    /// name, and its samples get `_total` appended, as client_golang does.
    static func familyName(_ descriptor: MetricDescriptor) -> String {
        guard descriptor.type == .counter, descriptor.name.hasSuffix("_total") else { return descriptor.name }
        return String(descriptor.name.dropLast("_total".count))
    }

    private static func typeName(_ type: MetricType) -> String {
        switch type {
        case .gauge: "gauge"
        case .counter: "counter"
        case .untyped: "unknown"
        }
    }
}
