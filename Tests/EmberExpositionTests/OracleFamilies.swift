import EmberCore
import EmberTestSupport
import XCTest

/// Rebuilds the samples behind node_exporter 1.5's output, so the encoders can be checked against its exact
/// bytes. Label names are declared in reverse byte order and samples are shuffled, which the encoder must undo.
/// Each label set gets its own descriptor, because `node_power_supply_info` series differ in their labels.
enum OracleFamilies {
    static let path = Fixtures.directory + "/node-exporter/node_exporter-1.5-output.prom"

    static func text() throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    static func shuffledSamples() throws -> [Sample] {
        let text = try text()
        var helps: [String: String] = [:]
        var descriptors: [String: MetricDescriptor] = [:]
        var samples: [Sample] = []

        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let fields = line.split(separator: " ", maxSplits: 3)
                helps[String(fields[2])] = String(fields[3])
            } else if !line.hasPrefix("#") {
                let series = PrometheusText.parseSeries(String(line))[0]
                let key = series.name + "{" + series.labels.keys.sorted().joined(separator: ",")
                let descriptor = descriptors[key] ?? makeDescriptor(series, help: helps, text: text)
                descriptors[key] = descriptor
                let values = descriptor.labelNames.map { series.labels[$0]! }
                samples.append(Sample(descriptor, series.value, labelValues: values))
            }
        }

        var generator = SplitMix64(seed: 42)
        samples.shuffle(using: &generator)
        return samples
    }

    private static func makeDescriptor(_ series: ParsedSeries, help: [String: String], text: String)
        -> MetricDescriptor
    {
        let type = MetricType(rawValue: PrometheusText.parseTypes(text)[series.name]!)!
        let labels = series.labels.keys.sorted().reversed()
        return MetricDescriptor(series.name, help[series.name]!, type: type, labels: Array(labels))
    }
}

/// A seeded generator, so a shuffled order is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

func string(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
}
