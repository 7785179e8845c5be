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
///
/// The fields live in one shared immutable object, so a descriptor is one reference wide. Every
/// ``Sample`` carries its descriptor, and a snapshot's sample array is copied several times per
/// cycle (history, JSON API, exposition). With inline fields a sample took 80 bytes on 64-bit
/// targets, and with the reference it takes 24.
public struct MetricDescriptor: Sendable {
    private final class Storage: Sendable {
        let name: String
        let help: String
        let type: MetricType
        let labelNames: [String]
        let windowUnit: String?

        init(name: String, help: String, type: MetricType, labelNames: [String], windowUnit: String?) {
            self.name = name
            self.help = help
            self.type = type
            self.labelNames = labelNames
            self.windowUnit = windowUnit
        }
    }

    private let storage: Storage

    public var name: String { storage.name }
    public var help: String { storage.help }
    public var type: MetricType { storage.type }
    /// Label names in the order values are given in ``Sample/labelValues``.
    public var labelNames: [String] { storage.labelNames }
    /// The base unit for trailing-window aggregates (`celsius`, `watts`, `hertz`); nil for families
    /// that get none. Only temperature, power and current-frequency families carry one.
    public var windowUnit: String? { storage.windowUnit }

    public init(
        _ name: String, _ help: String, type: MetricType = .gauge, labels: [String] = [],
        windowUnit: String? = nil
    ) {
        storage = Storage(name: name, help: help, type: type, labelNames: labels, windowUnit: windowUnit)
    }
}

extension MetricDescriptor {
    /// Returns true when both descriptors have the same name, help, type, label names and window unit.
    /// Unlike `==`, which compares names only, this detects a change in anything exposed about the
    /// family. A collector reuses one descriptor value across cycles, so the identity check usually
    /// decides without comparing strings.
    public func hasSameDefinition(as other: MetricDescriptor) -> Bool {
        if storage === other.storage { return true }
        return name == other.name && help == other.help && type == other.type && labelNames == other.labelNames
            && windowUnit == other.windowUnit
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

extension Array where Element == Sample {
    /// Returns true when both arrays list the same series in the same order: at each index, equal label
    /// values and descriptors of the same definition (see ``MetricDescriptor/hasSameDefinition(as:)``).
    /// Values may differ. Collectors list their series in the same order every cycle, so per-series work
    /// that depends only on descriptors and labels can be kept while this holds.
    public func listsSameSeries(as other: [Sample]) -> Bool {
        guard count == other.count else { return false }

        // Subscripting the buffers borrows each sample. Iterating `zip` copied both samples, which
        // took about 9 retains and 9 releases per sample in the -Osize build (callgrind).
        return withUnsafeBufferPointer { samples in
            other.withUnsafeBufferPointer { otherSamples in
                for index in samples.indices {
                    guard samples[index].labelValues == otherSamples[index].labelValues,
                        samples[index].descriptor.hasSameDefinition(as: otherSamples[index].descriptor)
                    else { return false }
                }
                return true
            }
        }
    }
}
