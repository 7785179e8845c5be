import EmberCore

/// One series parsed from Prometheus text exposition, for comparing outputs in tests.
public struct ParsedSeries: Hashable, CustomStringConvertible, Sendable {
    public let name: String
    public let labels: [String: String]
    public let value: Double

    public init(name: String, labels: [String: String], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }

    /// The series identity, labels sorted by name, as `name{a="1",b="2"}`.
    public var key: String {
        let pairs = labels.keys.sorted().map { "\($0)=\"\(labels[$0]!)\"" }
        return pairs.isEmpty ? name : name + "{" + pairs.joined(separator: ",") + "}"
    }

    public var description: String { "\(key) \(value)" }
}

/// A small parser of the Prometheus text format (0.0.4), enough for golden and oracle files.
public enum PrometheusText {
    /// Parses every sample line; `# HELP`, `# TYPE` and other comments are skipped.
    public static func parseSeries(_ text: String) -> [ParsedSeries] {
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix("#") ? nil : parseLine(line)
        }
    }

    /// Maps family name to its `# TYPE`.
    public static func parseTypes(_ text: String) -> [String: String] {
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let fields = line.split(separator: " ")
            if fields.count >= 4 {
                types[String(fields[2])] = String(fields[3])
            }
        }
        return types
    }

    /// Converts collector samples to the same form, for comparing against parsed text.
    public static func series(from samples: [Sample]) -> [ParsedSeries] {
        samples.map { sample in
            var labels: [String: String] = [:]
            for (name, value) in zip(sample.descriptor.labelNames, sample.labelValues) {
                labels[name] = value
            }
            return ParsedSeries(name: sample.descriptor.name, labels: labels, value: sample.value)
        }
    }

    static func parseLine(_ line: Substring) -> ParsedSeries? {
        var index = line.startIndex
        while index < line.endIndex, line[index] != "{", line[index] != " " {
            index = line.index(after: index)
        }
        let name = String(line[line.startIndex..<index])
        var labels: [String: String] = [:]
        if index < line.endIndex, line[index] == "{" {
            guard let end = parseLabels(line, from: line.index(after: index), into: &labels) else { return nil }
            index = end
        }
        let rest = line[index...].split(separator: " ")
        guard let valueText = rest.first, let value = parseValue(valueText) else { return nil }
        return ParsedSeries(name: name, labels: labels, value: value)
    }

    /// Parses `a="x",b="y"}` and returns the index after the closing brace.
    static func parseLabels(_ line: Substring, from start: Substring.Index, into labels: inout [String: String])
        -> Substring.Index?
    {
        var index = start
        while index < line.endIndex {
            if line[index] == "}" { return line.index(after: index) }
            if line[index] == "," { index = line.index(after: index); continue }
            guard let equals = line[index...].firstIndex(of: "=") else { return nil }
            let name = String(line[index..<equals])
            var cursor = line.index(equals, offsetBy: 2)  // skip `="`
            var value = ""
            while cursor < line.endIndex, line[cursor] != "\"" {
                if line[cursor] == "\\" {
                    cursor = line.index(after: cursor)
                    value.append(line[cursor] == "n" ? "\n" : line[cursor])
                } else {
                    value.append(line[cursor])
                }
                cursor = line.index(after: cursor)
            }
            labels[name] = value
            index = line.index(after: cursor)
        }
        return nil
    }

    static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }
}
