import EmberCore

/// Name rules of the Prometheus data model, checked before a family is exposed.
///
/// Metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*`. Label names match `[a-zA-Z_][a-zA-Z0-9_]*`, and names that
/// start with `__` are reserved for Prometheus itself, so an exporter must not send them.
public enum MetricNames {
    public static func isValidMetricName(_ name: String) -> Bool {
        isValid(name, allowsColon: true)
    }

    public static func isValidLabelName(_ name: String) -> Bool {
        guard !name.utf8.starts(with: "__".utf8) else { return false }
        return isValid(name, allowsColon: false)
    }

    /// Checks the family name, each label name and that no label name repeats.
    static func isValid(_ descriptor: MetricDescriptor) -> Bool {
        guard isValidMetricName(descriptor.name) else { return false }
        for (index, label) in descriptor.labelNames.enumerated() {
            guard isValidLabelName(label), !descriptor.labelNames[..<index].contains(label) else { return false }
        }
        return true
    }

    private static func isValid(_ name: String, allowsColon: Bool) -> Bool {
        guard let first = name.utf8.first, !isDigit(first) else { return false }

        return name.utf8.allSatisfy { byte in
            isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || (allowsColon && byte == UInt8(ascii: ":"))
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
