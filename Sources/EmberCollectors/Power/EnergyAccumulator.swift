/// The origin of a power series: a measurement (`hwmon`, `power_supply`, `rapl`) or Ember's
/// estimate (`model`). It is the `source` label of every power, energy and carbon series.
///
/// NOTE: an IIO ADC gives only the board's input voltage (`ember_board_input_volts`), so there is
/// no `iio` power source until a current channel can be paired with it.
public enum PowerSource: String, Sendable, Hashable, CaseIterable {
    case hwmon
    case powerSupply = "power_supply"
    case rapl
    case model
}

/// The identity of one power series: its `domain` and `source` labels.
public struct PowerSeries: Sendable, Hashable, Comparable {
    /// The part of the machine the series covers, such as `cpu_policy4`, `board` or an INA226 rail.
    public let domain: String
    public let source: PowerSource

    public init(domain: String, source: PowerSource) {
        self.domain = domain
        self.source = source
    }

    public static func < (lhs: PowerSeries, rhs: PowerSeries) -> Bool {
        (lhs.source.rawValue, lhs.domain) < (rhs.source.rawValue, rhs.domain)
    }
}

/// Integrates power readings into monotonic energy totals, one per series, in joules.
///
/// Power is integrated with the trapezoid rule between consecutive readings of a series, with
/// the interval taken from the monotonic clock: `(P₀ + P₁) / 2 × (t₁ − t₀)`. A series read as a
/// hardware energy counter adds its counter's increase directly instead.
///
/// A run in which a series had no reading (a failed read, a vanished device) ends its segment,
/// so the next reading starts a new one and the gap is never integrated. Energy is undercounted
/// across a gap rather than guessed.
public struct EnergyAccumulator: Sendable {
    private struct LastReading: Sendable {
        var watts: Double
        var nanoseconds: UInt64
    }

    /// Energy per series in joules, including the seeded starting values.
    public private(set) var totals: [PowerSeries: Double]
    private var lastReadings: [PowerSeries: LastReading] = [:]
    private var seenThisRun: Set<PowerSeries> = []

    /// Starts from `totals` (joules per series), such as totals persisted before a restart.
    public init(startingAt totals: [PowerSeries: Double] = [:]) {
        self.totals = totals
    }

    /// Adds a power reading taken at `nanoseconds` on the monotonic clock and returns the joules
    /// it added: 0 for the first reading of a segment and for a clock that did not advance.
    @discardableResult
    public mutating func add(_ series: PowerSeries, watts: Double, atNanoseconds nanoseconds: UInt64) -> Double {
        seenThisRun.insert(series)
        let previous = lastReadings[series]
        lastReadings[series] = LastReading(watts: watts, nanoseconds: nanoseconds)

        // Negative power adds nothing, so the total never decreases. The power sources give
        // magnitudes, so this only guards against a caller that does not.
        var joules = 0.0
        if let previous, nanoseconds > previous.nanoseconds {
            let seconds = Double(nanoseconds - previous.nanoseconds) / 1e9
            joules = max(0, (previous.watts + watts) / 2 * seconds)
        }
        totals[series, default: 0] += joules
        return joules
    }

    /// Adds energy a hardware counter measured, such as a wrap-corrected RAPL or hwmon
    /// `energyN_input` increase. A nil increase (a first reading or a reset) only marks the series as seen.
    public mutating func add(_ series: PowerSeries, joules: Double?) {
        seenThisRun.insert(series)
        totals[series, default: 0] += joules ?? 0
    }

    /// Returns the series that had a reading in the current run, sorted.
    public var seriesSeenThisRun: [PowerSeries] { seenThisRun.sorted() }

    /// Ends a run: series without a reading in it lose their last reading, so their next reading
    /// starts a new segment. Their totals are kept for when they come back.
    public mutating func endRun() {
        lastReadings = lastReadings.filter { seenThisRun.contains($0.key) }
        seenThisRun.removeAll(keepingCapacity: true)
    }
}

/// Turns energy into grams of CO₂-equivalent at a grid carbon intensity, as a monotonic total.
public struct CarbonAccumulator: Sendable, Equatable {
    /// Joules in one kilowatt-hour.
    public static let joulesPerKilowattHour = 3_600_000.0

    /// Grams emitted so far, including the seeded starting value.
    public private(set) var totalGrams: Double

    /// Starts at `startingAtGrams`, such as a total persisted before a restart.
    public init(startingAtGrams: Double = 0) {
        totalGrams = startingAtGrams
    }

    /// Adds `joules` consumed at `gramsPerKilowattHour` and returns the grams added.
    @discardableResult
    public mutating func add(joules: Double, gramsPerKilowattHour: Double) -> Double {
        let grams = joules / CarbonAccumulator.joulesPerKilowattHour * gramsPerKilowattHour
        totalGrams += grams
        return grams
    }
}
