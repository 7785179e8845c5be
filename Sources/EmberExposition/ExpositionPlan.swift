import EmberCore

/// Samples the encoders dropped, counted so the caller can log them once per snapshot.
public struct EncodingReport: Sendable, Equatable {
    /// The number of family names listed in ``exampleFamilies``, enough to find the offending collector.
    public static let maxExampleFamilies = 5

    /// Samples with the family name and labels of an earlier sample; the first one is kept.
    public var duplicateSeries = 0
    /// Samples whose descriptor has another type than the first descriptor of that family name, and
    /// (OpenMetrics only) counter families whose name without `_total` is taken by another family.
    public var conflictingSamples = 0
    /// Samples whose metric name or label names break the Prometheus name rules (see ``MetricNames``).
    public var invalidNameSamples = 0
    /// Names of the first families that lost samples, in the order the problems were found.
    public var exampleFamilies: [String] = []

    public init() {}

    public var droppedSamples: Int {
        duplicateSeries + conflictingSamples + invalidNameSamples
    }

    mutating func noteFamily(_ name: String) {
        if exampleFamilies.count < Self.maxExampleFamilies, !exampleFamilies.contains(name) {
            exampleFamilies.append(name)
        }
    }
}

/// One metric family ready to encode.
struct PlannedFamily: Sendable {
    /// One sample of the family and the label set it uses.
    struct Entry: Sendable {
        /// Index into ``ExpositionPlan/samples``.
        let sample: Int
        /// Index into ``PlannedFamily/labelSets``.
        let labelSet: Int
    }

    /// The label names of some samples of the family and their positions in byte order of the names.
    /// Labels are written and compared in that order, as the Go client library (client_golang) does.
    struct LabelSet: Sendable {
        let names: [String]
        let order: [Int]

        init(_ names: [String]) {
            self.names = names
            self.order = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        }
    }

    /// The descriptor of the family's first sample; its help and type are the ones exposed.
    let descriptor: MetricDescriptor
    /// The distinct label name lists among the family's samples. Series of one family may carry different
    /// labels, as node_exporter's `node_power_supply_info` does.
    var labelSets: [LabelSet]
    /// Sorted by label values and free of duplicate series once the plan is built.
    var entries: [Entry]
}

/// Samples grouped into families, sorted and deduplicated once per snapshot so that every format encodes
/// the same series.
///
/// Families are sorted by name. Series are sorted as client_golang sorts them: by label count, then by
/// label values in byte order of their label names. Strings compare as UTF-8 bytes, as Go compares them.
/// Input order matters only for ties: the first sample of a series and the first descriptor of a family
/// name win.
///
/// The samples come in lists (the snapshot's, the window families', the server's) whose concatenation is
/// the input, so that a caller does not copy them into one array every cycle.
public struct ExpositionPlan: Sendable {
    /// The concatenated samples of the snapshot the plan was built for. A reused plan keeps them, because
    /// a snapshot that reuses the plan has the same descriptors and labels, and takes only its values.
    public let samples: [Sample]
    /// The value of each of ``samples`` in the snapshot this plan encodes.
    let values: [Double]
    /// The sample lists the plan was built for, which a later snapshot must match to reuse it.
    private let lists: [[Sample]]
    var families: [PlannedFamily]
    /// The index in ``samples`` of each exposed series, in the order the text writes them, so that a patch
    /// walks one array instead of the families' entries.
    let writtenOrder: [Int32]
    public let report: EncodingReport

    public init(samples: [Sample]) {
        self.init(lists: [samples])
    }

    /// Plans the concatenation of `lists`.
    init(lists: [[Sample]]) {
        let samples = lists.count == 1 ? lists[0] : Array(lists.joined())
        self.samples = samples
        self.lists = lists
        values = samples.map(\.value)
        var report = EncodingReport()
        var families = Self.group(samples, report: &report)
        families.removeAll { $0.entries.isEmpty }

        for index in families.indices {
            SeriesOrdering.sortAndDeduplicate(&families[index], samples: samples, report: &report)
        }
        families.sort { $0.descriptor.name.utf8.lexicographicallyPrecedes($1.descriptor.name.utf8) }

        self.families = families
        writtenOrder = families.flatMap { $0.entries.map { Int32(truncatingIfNeeded: $0.sample) } }
        self.report = report
    }

    private init(reusing plan: ExpositionPlan, values: [Double]) {
        samples = plan.samples
        self.values = values
        lists = plan.lists
        families = plan.families
        writtenOrder = plan.writtenOrder
        report = plan.report
    }

    /// Returns this plan's grouping and order applied to the values of `newLists`, or nil when the lists
    /// do not list the same series in the same order. Each list must have as many samples as the list at
    /// its index here. Each sample must have the descriptor definition and label values of the sample at
    /// its index there.
    ///
    /// Grouping, order and every dropped sample depend only on descriptors, label values and input
    /// order, never on values, so a plan that passes this check is the one `init(samples:)` would build.
    /// Collectors list their series in the same order every cycle, so a cycle usually skips grouping and
    /// sorting and pays one comparison per sample.
    func reused(for newLists: [Sample]...) -> ExpositionPlan? {
        reused(forLists: newLists)
    }

    func reused(forLists newLists: [[Sample]]) -> ExpositionPlan? {
        guard newLists.count == lists.count else { return nil }
        for (list, planned) in zip(newLists, lists) where !list.listsSameSeries(as: planned) {
            return nil
        }

        let values = [Double](unsafeUninitializedCapacity: samples.count) { buffer, count in
            for list in newLists {
                list.withUnsafeBufferPointer { listSamples in
                    for sample in listSamples {
                        buffer[count] = sample.value
                        count += 1
                    }
                }
            }
        }
        return ExpositionPlan(reusing: self, values: values)
    }

    /// Series exposed, after duplicates and conflicts were dropped.
    public var seriesCount: Int {
        families.reduce(0) { $0 + $1.entries.count }
    }

    /// Collects samples per family name, dropping samples whose type conflicts with the family's first
    /// descriptor or whose names are invalid.
    private static func group(_ samples: [Sample], report: inout EncodingReport) -> [PlannedFamily] {
        var families: [PlannedFamily] = []
        var positions: [String: Int] = [:]

        for (sampleIndex, sample) in samples.enumerated() {
            let descriptor = sample.descriptor
            guard let position = positions[descriptor.name] else {
                positions[descriptor.name] = families.count
                families.append(PlannedFamily(descriptor: descriptor, labelSets: [], entries: []))
                add(sampleIndex, sample, to: &families[families.count - 1], report: &report)
                continue
            }

            if families[position].descriptor.type == descriptor.type {
                add(sampleIndex, sample, to: &families[position], report: &report)
            } else {
                report.conflictingSamples += 1
                report.noteFamily(descriptor.name)
            }
        }
        return families
    }

    private static func add(_ index: Int, _ sample: Sample, to family: inout PlannedFamily,
                            report: inout EncodingReport)
    {
        let names = sample.descriptor.labelNames
        if let known = family.labelSets.firstIndex(where: { $0.names == names }) {
            family.entries.append(.init(sample: index, labelSet: known))
        } else if MetricNames.isValid(sample.descriptor) {
            family.labelSets.append(PlannedFamily.LabelSet(names))
            family.entries.append(.init(sample: index, labelSet: family.labelSets.count - 1))
        } else {
            report.invalidNameSamples += 1
            report.noteFamily(sample.descriptor.name)
        }
    }
}
