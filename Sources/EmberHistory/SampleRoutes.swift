import EmberCore

/// The table positions of each sample of the last recorded snapshot, in every tier, so that the
/// next snapshot of the same series is recorded without building and hashing series keys.
///
/// Collectors list their series in the same order every cycle. While a snapshot lists the same
/// series as the routed one (``Swift/Array/listsSameSeries(as:)``) and no table removed a series
/// since the positions were found (``SeriesTable/generation``), each position still names the
/// sample's series. Checking the list took about 260 instructions a sample under callgrind on the
/// RK3588 fixture, where building the key and looking it up in every table took about 3,200.
struct SampleRoutes {
    /// One sample's positions in the aggregate tiers. A tier position is -1 while the tier does not
    /// store the series, which is when no value so far was finite, and always for the hour maxima
    /// of a series that keeps none.
    struct Route {
        var minute: Int32
        var hour: Int32
        var hourMaximum: Int32
        let kind: SeriesKind
        let retention: HourRetention

        /// Whether every tier that takes the series has a position for it.
        var isComplete: Bool {
            minute >= 0 && hour >= 0 && (retention != .longMaximum || hourMaximum >= 0)
        }
    }

    /// The removal count of each table when the positions were found.
    struct Generations: Equatable {
        let raw: Int
        let minute: Int
        let hour: Int
        let hourMaximum: Int
    }

    /// The samples the positions belong to: the last recorded snapshot's, an array the published
    /// snapshot keeps too. Keeping an older one would keep its cycle's label arrays alive.
    private(set) var samples: [Sample]
    /// The position of each sample in each table, in sample order. A tier loops over its own array
    /// in one access to its table (see ``HistoryTier/add(_:atPositions:bucket:)``).
    let raw: [Int32]
    private(set) var minute: [Int32]
    private(set) var hour: [Int32]
    private(set) var hourMaximum: [Int32]
    /// Whether each sample's descriptor has a window unit, so that the raw tier adds it to window
    /// blocks without reading the descriptor (see ``RawHistory/record(_:positions:windowed:)``).
    let windowed: [Bool]
    private let kinds: [SeriesKind]
    private let retentions: [HourRetention]
    /// The samples whose route is not complete, in sample order.
    private(set) var incomplete: [Int]
    /// Whether any sample keeps hourly maxima, so that the hour-maximum tier has positions to add to.
    let keepsHourMaxima: Bool
    let generations: Generations

    /// No routes: the first snapshot finds its positions by key.
    init() {
        self.init(samples: [], raw: [], tiers: [],
                  generations: Generations(raw: -1, minute: -1, hour: -1, hourMaximum: -1))
    }

    init(samples: [Sample], raw: [Int32], tiers: [Route], generations: Generations) {
        precondition(raw.count == samples.count && tiers.count == samples.count, "one route per sample")
        self.samples = samples
        self.raw = raw
        windowed = samples.map { $0.descriptor.windowUnit != nil }
        minute = tiers.map(\.minute)
        hour = tiers.map(\.hour)
        hourMaximum = tiers.map(\.hourMaximum)
        kinds = tiers.map(\.kind)
        retentions = tiers.map(\.retention)
        incomplete = tiers.indices.filter { !tiers[$0].isComplete }
        keepsHourMaxima = tiers.contains { $0.retention == .longMaximum }
        self.generations = generations
    }

    /// Returns whether the positions name the series of `samples`, sample by sample.
    func fit(_ samples: [Sample], generations: Generations) -> Bool {
        generations == self.generations && samples.listsSameSeries(as: self.samples)
    }

    /// Takes `samples` as the routed samples. They must ``fit(_:generations:)`` the routes.
    mutating func follow(_ samples: [Sample]) {
        self.samples = samples
    }

    /// Returns the positions of the sample at `index`.
    func route(at index: Int) -> Route {
        Route(minute: minute[index], hour: hour[index], hourMaximum: hourMaximum[index], kind: kinds[index],
              retention: retentions[index])
    }

    /// Replaces the positions of the incomplete sample at `index`.
    mutating func update(_ route: Route, at index: Int) {
        minute[index] = route.minute
        hour[index] = route.hour
        hourMaximum[index] = route.hourMaximum
        if route.isComplete {
            incomplete.removeAll { $0 == index }
        }
    }
}
