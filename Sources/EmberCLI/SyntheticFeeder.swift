#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberHistory

/// The model by which `ember history-benchmark` moves the values of the series that change.
///
/// Limits, trip points, settings, `_info` families and counters at zero (error and drop counts)
/// stay constant in both models, as they mostly do on a board.
enum FeedModel: CustomStringConvertible {
    /// Values move as those of an RK3588 board between idle and busy do:
    /// - Temperatures on the RK3588 TSADC grid (about 0.92 °C between 25 and 85 °C) move one grid
    ///   step with a chance of one in four per second. They move up to two steps per 10 s or
    ///   10 min step, and stay within five steps of the sampled value. Other temperatures move the
    ///   same way in steps of their decimal resolution (at least 0.1 °C).
    /// - Frequencies take one of seven levels in the proportions of the mainline RK3588 A76 OPP
    ///   table (1.2 to 2.4 GHz), scaled to the sampled value. They change level with a chance of one
    ///   in ten per second, and at every step of 10 s or longer.
    /// - Power, averages and ratios take the pessimistic random walk.
    /// - Counters grow at a fixed rate, the sampled value spread over 10^6 s (11.6 days) of
    ///   uptime, with ±50 % jitter per step, in their decimal resolution.
    case realistic
    /// Every measured gauge (temperature, power, frequency, averages, ratios) takes a random walk
    /// of up to 1 % of its value per step in the source's decimal resolution. Every counter that
    /// is not zero grows by up to 100 % of its sampled value per step, whatever the step's length.
    case pessimistic

    var description: String {
        switch self {
        case .realistic: "realistic"
        case .pessimistic: "pessimistic (random walk of every measured gauge)"
        }
    }
}

/// Feeds synthetic snapshots shaped like a real one into a history.
struct SyntheticFeeder {
    private let template: Snapshot
    private let model: FeedModel
    private var values: [Double]
    /// The walk's step per series: 1 % of the sampled value, at least the source's resolution.
    private let steps: [Double]
    /// The source's decimal resolution per series.
    private let resolutions: [Double]
    /// 10^exponent of each series' decimal resolution.
    private let scales: [Double]
    /// Whether each series changes, decided once because string tests on every sample would slow the run.
    private let changes: [Bool]
    private var random = SplitMix64(seed: 0x5EED)
    private var wall: Double
    private var monotonic: UInt64 = 1_000_000_000
    private var sequence: UInt64 = 0

    init(template: Snapshot, wallStart: Double, model: FeedModel) {
        self.template = template
        self.model = model
        wall = wallStart
        values = template.samples.map(\.value)
        scales = template.samples.map { pow(10, Double(FieldModeProbe.exponent($0.value))) }
        resolutions = scales.map { 1 / $0 }
        steps = zip(template.samples, resolutions).map { sample, resolution in
            max(resolution, (abs(sample.value) * 0.01 / resolution).rounded() * resolution)
        }
        changes = template.samples.map(SyntheticFeeder.changes)
    }

    /// Returns whether a series moves on a real board: measured gauges and counters that are not zero.
    private static func changes(_ sample: Sample) -> Bool {
        let name = sample.descriptor.name
        let isMeasured = sample.descriptor.windowUnit != nil || Text.contains(name, "average") || name.hasSuffix("_ratio")
        let isMovingCounter = sample.descriptor.type == .counter && sample.value != 0
        return isMeasured || isMovingCounter
    }

    /// Records snapshots covering each tier's retention and returns their number.
    mutating func fill(_ history: History, options: AgentOptions) -> Int {
        let configuration = options.history
        let rawSpan = configuration.rawRetentionSeconds
        let minuteSpan = Double(configuration.minuteBuckets) * 60
        let hourSpan = Double(configuration.longHourBuckets) * 3600
        var count = 0
        count += advance(history, span: hourSpan - minuteSpan, step: 600)
        count += advance(history, span: minuteSpan - rawSpan, step: 10)
        count += advance(history, span: rawSpan, step: options.intervalSeconds)
        return count
    }

    private mutating func advance(_ history: History, span: Double, step: Double) -> Int {
        let count = Int(span / step)
        for _ in 0..<count {
            wall += step
            monotonic += UInt64(step * 1e9)
            sequence += 1
            history.record(nextSnapshot(seconds: step))
        }
        return count
    }

    mutating func nextSnapshot(seconds: Double) -> Snapshot {
        var samples: [Sample] = []
        samples.reserveCapacity(template.samples.count)
        for (index, sample) in template.samples.enumerated() {
            if changes[index] {
                // Dividing by the power of ten gives the Double nearest to the decimal, as parsing the
                // kernel's text does. Multiplying by the resolution is off by one ulp in about a third
                // of cases, and such a value is not a short decimal to the history's encoder.
                values[index] = (nextValue(index, sample, seconds: seconds) * scales[index]).rounded() / scales[index]
            }
            samples.append(Sample(sample.descriptor, values[index], labelValues: sample.labelValues))
        }
        return Snapshot(sequence: sequence, wallTime: wall, monotonicNanoseconds: monotonic, samples: samples,
                        collectors: template.collectors)
    }

    private mutating func nextValue(_ index: Int, _ sample: Sample, seconds: Double) -> Double {
        let value = values[index]
        switch (model, sample.descriptor.type, sample.descriptor.windowUnit) {
        case (.pessimistic, .counter, _):
            let draw = Double(random.next() % 201) - 100
            return value + abs(draw) * steps[index]
        case (.realistic, .counter, _):
            return nextCount(value, sampled: sample.value, resolution: resolutions[index], seconds: seconds)
        case (.realistic, _, "celsius"):
            return nextTemperature(value, sampled: sample.value, resolution: resolutions[index], seconds: seconds)
        case (.realistic, _, "hertz"):
            return nextFrequency(value, sampled: sample.value, seconds: seconds)
        default:
            return randomWalk(value, step: steps[index])
        }
    }

    /// Returns the value moved by up to one step either way. The result is rounded to the step, so
    /// it stays in the source's decimal resolution.
    private mutating func randomWalk(_ value: Double, step: Double) -> Double {
        let draw = Double(random.next() % 201) - 100
        return ((value + draw / 100 * step) / step).rounded() * step
    }

    private mutating func nextCount(_ value: Double, sampled: Double, resolution: Double, seconds: Double) -> Double {
        let ratePerSecond = sampled / 1e6
        let jitter = 0.5 + Double(random.next() % 101) / 100
        let increment = (ratePerSecond * seconds * jitter / resolution).rounded() * resolution
        return ((value + increment) / resolution).rounded() * resolution
    }

    private mutating func nextTemperature(
        _ value: Double, sampled: Double, resolution: Double, seconds: Double
    ) -> Double {
        let move = gridMove(seconds: seconds)
        guard move != 0 else { return value }

        if let code = TSADCGrid.code(celsius: value), let sampledCode = TSADCGrid.code(celsius: sampled) {
            let next = min(sampledCode + 5, max(sampledCode - 5, code + move))
            return TSADCGrid.celsius(code: next)
        }
        let quantum = max(resolution, 0.1)
        let next = min(sampled + 5 * quantum, max(sampled - 5 * quantum, value + Double(move) * quantum))
        return (next / resolution).rounded() * resolution
    }

    /// Returns the grid steps a temperature moves: ±1 with a chance of one in four per second,
    /// -2...2 for a step of 10 s or more.
    private mutating func gridMove(seconds: Double) -> Int {
        if seconds >= 10 {
            return Int(random.next() % 5) - 2
        }
        guard random.next() % 4 == 0 else { return 0 }
        return random.next() % 2 == 0 ? 1 : -1
    }

    private mutating func nextFrequency(_ value: Double, sampled: Double, seconds: Double) -> Double {
        guard seconds >= 10 || random.next() % 10 == 0 else { return value }

        let levels = [1_200, 1_416, 1_608, 1_800, 2_016, 2_208, 2_400].map { Double($0) / 2_400 }
        let level = levels[Int(random.next() % UInt64(levels.count))]
        // Whole kHz, as cpufreq reports them.
        return (sampled * level / 1_000).rounded() * 1_000
    }
}

/// The temperatures RK3588 thermal zones report between 25 and 85 °C, one per TSADC code:
/// `25000 + floor(60000 × (code − 285) / 65)` m°C. The mainline fixture's zones lie on this grid.
enum TSADCGrid {
    static let codes = 285...350

    static func millidegrees(code: Int) -> Int {
        25_000 + (60_000 * (code - 285)) / 65
    }

    static func celsius(code: Int) -> Double {
        Double(millidegrees(code: code)) / 1000
    }

    /// Returns the code whose temperature is `celsius`, or nil when it is off the grid.
    static func code(celsius: Double) -> Int? {
        let target = Int((celsius * 1000).rounded())
        let estimate = 285 + (target - 25_000) * 65 / 60_000
        for code in (estimate - 1)...(estimate + 1) where codes.contains(code) && millidegrees(code: code) == target {
            return code
        }
        return nil
    }
}

/// Probe for the decimal exponent of a value as the history's chunk encoder detects it (0 for integers).
enum FieldModeProbe {
    static func exponent(_ value: Double) -> Int {
        for exponent in 0...6 {
            let scale = pow(10, Double(exponent))
            if (value * scale).rounded() / scale == value {
                return exponent
            }
        }
        return 6
    }
}

/// A small deterministic generator (SplitMix64), so every run feeds the same values.
struct SplitMix64 {
    private var state: UInt64

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

