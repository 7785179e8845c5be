/// The Prometheus metric type of a family.
public enum MetricType: String, Sendable {
    case gauge
    case counter
    case untyped
}

/// The metadata of a metric family: its name, help text, type and label names.
///
/// Identity is the name alone: two descriptors with the same name describe one family. The
/// exposition keeps the first family's metadata and drops, and counts, samples of a second
/// family with that name and a different type.
public struct MetricDescriptor: Sendable {
    public let name: String
    public let help: String
    public let type: MetricType
    /// Label names in the order values are given in ``Sample/labelValues``.
    public let labelNames: [String]
    /// The base unit for trailing-window aggregates (`celsius`, `watts`, `hertz`); nil for families
    /// that get none. Only temperature, power and current-frequency families carry one.
    public let windowUnit: String?

    public init(
        _ name: String, _ help: String, type: MetricType = .gauge, labels: [String] = [],
        windowUnit: String? = nil
    ) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labels
        self.windowUnit = windowUnit
    }
}

extension MetricDescriptor: Hashable {
    public static func == (lhs: MetricDescriptor, rhs: MetricDescriptor) -> Bool {
        lhs.name == rhs.name
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
    }
}

/// One series value at one sampling instant.
public struct Sample: Sendable {
    public let descriptor: MetricDescriptor
    /// Values for ``MetricDescriptor/labelNames``, in the same order.
    public let labelValues: [String]
    public let value: Double

    public init(_ descriptor: MetricDescriptor, _ value: Double, labelValues: [String]) {
        precondition(
            labelValues.count == descriptor.labelNames.count,
            "\(descriptor.name): \(labelValues.count) label values for \(descriptor.labelNames.count) label names"
        )
        self.descriptor = descriptor
        self.labelValues = labelValues
        self.value = value
    }

    /// A key unique per series: the family name and the label values, separated by bytes that
    /// cannot occur in a metric name.
    public var seriesKey: String {
        Sample.seriesKey(name: descriptor.name, labelValues: labelValues)
    }
}
