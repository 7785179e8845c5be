/// Whether a series is aggregated by value or by increase, or keeps only each bucket's maximum.
public enum SeriesKind: UInt8, Sendable {
    case gauge = 0
    case counter = 1
    /// A gauge of which only the maximum of each bucket is stored: the hour maxima that temperatures
    /// keep beyond the hour tier's retention (see ``History/hourMaximum``).
    case maximum = 2

    /// Number of values stored per bucket: minimum, maximum, sum, last and count for a gauge,
    /// increase, last and count for a counter, and the maximum alone.
    public var fieldCount: Int {
        switch self {
        case .gauge: 5
        case .counter: 3
        case .maximum: 1
        }
    }

    var layout: ChunkLayout {
        switch self {
        case .gauge: .gauge
        case .counter: .counter
        case .maximum: .independent
        }
    }

    /// Names of the stored fields, in order, as the JSON API shows them.
    public var fieldNames: [String] {
        switch self {
        case .gauge: ["min", "max", "sum", "last", "count"]
        case .counter: ["increase", "last", "count"]
        case .maximum: ["max"]
        }
    }

    /// Whether the last field is the bucket's sample count, which restoring an open bucket checks.
    var hasCount: Bool { self != .maximum }
}

/// The aggregates of one series' samples within one bucket, while the bucket is open.
struct BucketAccumulator {
    let bucket: Int64
    private var minimum = Double.infinity
    private var maximum = -Double.infinity
    /// Sum of the values for a gauge, sum of the increases for a counter.
    private var sum = 0.0
    private var last = 0.0
    /// Samples in the bucket. Restoring checks that a saved count is below 2^31.
    private var count: Int32 = 0
    /// The largest decimal exponent the values needed, or nil once one was not a short decimal.
    /// Small types keep the accumulator at 48 bytes, one per series and tier.
    private var exponent: Int8? = 0

    init(bucket: Int64) {
        self.bucket = bucket
    }

    /// Resumes a bucket saved by ``values(kind:)`` before a restart.
    init(bucket: Int64, kind: SeriesKind, saved: PointValues) {
        self.bucket = bucket
        switch kind {
        case .gauge:
            minimum = saved[0]
            maximum = saved[1]
            sum = saved[2]
            last = saved[3]
            count = Int32(saved[4])
        case .counter:
            sum = saved[0]
            minimum = saved[1]
            maximum = saved[1]
            last = saved[1]
            count = Int32(saved[2])
        case .maximum:
            // Only the maximum is kept, so the other aggregates restart from it.
            minimum = saved[0]
            maximum = saved[0]
            sum = saved[0]
            last = saved[0]
            count = 1
        }
        for index in 0..<saved.count {
            exponent = exponent.flatMap { known in FieldMode.exponent(for: saved[index]).map { max(Int8($0), known) } }
        }
    }

    mutating func add(_ value: Double, increase: Double) {
        minimum = min(minimum, value)
        maximum = max(maximum, value)
        sum += increase
        // Widening is idempotent: the exponent widened for `last` already stores it or stays the same
        // for it. So a repeated value, common for limits and idle sensors, skips the check.
        let repeated = count > 0 && value.bitPattern == last.bitPattern
        last = value
        count += 1
        if let known = exponent, !repeated {
            exponent = BucketAccumulator.exponent(known, widenedFor: value)
        }
    }

    /// Returns the larger of `known` and ``FieldMode/exponent(for:)`` of `value`, or nil when
    /// `value` is not a short decimal. `known` must be one of the exponents that function returns.
    static func exponent(_ known: Int8, widenedFor value: Double) -> Int8? {
        // The search in FieldMode.exponent(for:) returns the first candidate that stores the value,
        // so a value that `known` stores needs no larger one. Zero is the exception, because it gets
        // 0 where a negative exponent stores it too. With this check an add takes about 125
        // instructions where it took about 240 (callgrind, RK3588 fixture).
        if value != 0 || known >= 0, FieldMode.scaled(value, exponent: Int(known)) != nil {
            return known
        }
        return FieldMode.exponent(for: value).map { max(Int8($0), known) }
    }

    mutating func addGauge(_ value: Double) {
        add(value, increase: value)
    }

    /// Returns the stored fields of this bucket.
    ///
    /// When the values are short decimals, the sum is rounded to their resolution. The exact sum of
    /// 0.001-step values is a 0.001 step, so rounding only undoes floating-point error in the running
    /// sum, and the chunk can store the sum as an integer.
    func values(kind: SeriesKind) -> PointValues {
        var rounded = sum
        if let exponent {
            // Values that are multiples of 10^3 have an integer sum, so rounding to an integer is exact.
            let scale = FieldMode.scale(max(0, Int(exponent)))
            rounded = (sum * scale).rounded() / scale
        }

        var values = PointValues(count: kind.fieldCount)
        switch kind {
        case .gauge:
            values[0] = minimum
            values[1] = maximum
            values[2] = rounded
            values[3] = last
            values[4] = Double(count)
        case .counter:
            values[0] = rounded
            values[1] = last
            values[2] = Double(count)
        case .maximum:
            values[0] = maximum
        }
        return values
    }
}

/// Returns the increase from `previous` to `current` as Prometheus' `increase()` counts it: a
/// decrease is a reset, after which the counter counted from zero up to `current`.
func counterIncrease(from previous: Double, to current: Double) -> Double {
    current >= previous ? current - previous : current
}
