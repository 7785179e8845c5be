#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberExposition
import EmberHistory

/// `ember history-benchmark`: fills every history tier to its retention with changing values for
/// the series this machine (or a fixture tree) has, then prints resident memory and bytes per
/// stored value. It measures what full default history costs without waiting 400 days.
///
/// One real sample gives the series set. Synthetic snapshots then cover the hour tiers' retention
/// at 10-minute steps, the minute tier's last day at 10-second steps and the raw tier's window at
/// the sample interval, so each tier contains as many points as after a real run of that length.
/// The series that change on a real board change at every step: measured gauges (the families with
/// a trailing window: temperature, power, current frequency, plus averages and ratios) take a random
/// walk of up to 1 % of their value in the source's decimal resolution, and every counter that is
/// not zero grows by a random amount. Limits, trip points, settings, `_info` families and counters
/// at zero (error and drop counts) stay constant, as they mostly do.
enum HistoryBenchmarkCommand {
    static func run(_ arguments: [String]) throws -> Int32 {
        let options = try EmberMain.options(arguments.filter { !$0.hasPrefix("--no-storage") } + ["--no-storage"])
        let logger = Logger(level: options.logLevel)
        let agent = try Agent(options, logger: logger)
        let cache = ExpositionCache()
        // Not recorded: the first synthetic snapshot must anchor the history's clock, far in the past.
        let template = agent.sampler.sampleOnce()

        let wallStart = WallClock.now() - Double(options.history.longHourBuckets) * 3600
        var feeder = SyntheticFeeder(template: template, wallStart: wallStart)
        let cycles = agent.history.withHistory { history in
            feeder.fill(history, options: options)
        }
        cache.publish(template)

        let report = agent.history.withHistory { history in
            Report(series: history.seriesSummaries().count, values: history.storedValueCount,
                   bytes: history.byteCount, cycles: cycles)
        }
        print(report.text())
        // Freed memory that malloc keeps for reuse counts as resident; trimming shows how much that is.
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
        print("resident after malloc_trim: \(ProcessStatus.format(ProcessStatus.kibibytes("VmRSS"))) "
            + "(anonymous \(ProcessStatus.format(ProcessStatus.kibibytes("RssAnon"))))")
        agent.history.withHistory { history in
            for (name, tier) in [("minute", history.minute), ("hour", history.hour)] {
                var byKind: [SeriesKind: (bytes: Int, values: Int)] = [:]
                for key in tier.seriesKeys {
                    let kind = tier.kind(of: key)!
                    let entry = byKind[kind] ?? (0, 0)
                    byKind[kind] = (entry.bytes + tier.byteCount(of: key), entry.values + tier.bucketCount(of: key) * kind.fieldCount)
                }
                for (kind, entry) in byKind {
                    print("\(name) \(kind): \(entry.bytes) bytes for \(entry.values) values")
                }
            }
            print("raw: \(history.raw.byteCount) bytes for \(history.raw.storedValueCount) values")
        }
        return 0
    }

    private struct Report {
        let series: Int
        let values: Int
        let bytes: Int
        let cycles: Int

        /// Resident memory is split as the kernel counts it: anonymous pages (heap, stacks) and
        /// file pages (the binary and shared libraries, which the kernel can drop and reread).
        func text() -> String {
            let perValue = values > 0 ? Double(bytes) / Double(values) : 0
            return """
                series with history: \(series)
                synthetic snapshots recorded: \(cycles)
                stored values (raw points plus bucket aggregates): \(values)
                compressed bytes: \(bytes)
                bytes per stored value: \(String(Double(Int(perValue * 1000)) / 1000))
                resident: \(ProcessStatus.format(ProcessStatus.kibibytes("VmRSS"))) \
                (anonymous \(ProcessStatus.format(ProcessStatus.kibibytes("RssAnon"))), \
                files \(ProcessStatus.format(ProcessStatus.kibibytes("RssFile"))), \
                peak \(ProcessStatus.format(ProcessStatus.kibibytes("VmHWM"))))
                """
        }
    }
}

/// Feeds synthetic snapshots shaped like a real one into a history.
private struct SyntheticFeeder {
    private let template: Snapshot
    private var values: [Double]
    private let steps: [Double]
    /// Whether each series changes; decided once, because string tests per sample dominate the run.
    private let changes: [Bool]
    private var random = SplitMix64(seed: 0x5EED)
    private var wall: Double
    private var monotonic: UInt64 = 1_000_000_000
    private var sequence: UInt64 = 0

    init(template: Snapshot, wallStart: Double) {
        self.template = template
        wall = wallStart
        values = template.samples.map(\.value)
        steps = template.samples.map { sample in
            let exponent = FieldModeProbe.exponent(sample.value)
            let resolution = 1 / pow(10, Double(exponent))
            return max(resolution, (abs(sample.value) * 0.01 / resolution).rounded() * resolution)
        }
        changes = template.samples.map(SyntheticFeeder.changes)
    }

    /// Returns whether a series moves on a real board: measured gauges and counters that are not zero.
    private static func changes(_ sample: Sample) -> Bool {
        let name = sample.descriptor.name
        let isMeasured = sample.descriptor.windowUnit != nil || name.contains("average") || name.hasSuffix("_ratio")
        let isMovingCounter = sample.descriptor.type == .counter && sample.value != 0
        return isMeasured || isMovingCounter
    }

    /// Records snapshots covering each tier's retention and returns how many.
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
            history.record(nextSnapshot())
        }
        return count
    }

    private mutating func nextSnapshot() -> Snapshot {
        var samples: [Sample] = []
        samples.reserveCapacity(template.samples.count)
        for (index, sample) in template.samples.enumerated() {
            if changes[index] {
                values[index] = nextValue(sample.descriptor, values[index], step: steps[index])
            }
            samples.append(Sample(sample.descriptor, values[index], labelValues: sample.labelValues))
        }
        return Snapshot(sequence: sequence, wallTime: wall, monotonicNanoseconds: monotonic, samples: samples,
                        collectors: template.collectors)
    }

    private mutating func nextValue(_ descriptor: MetricDescriptor, _ value: Double, step: Double) -> Double {
        let draw = Double(random.next() % 201) - 100
        if descriptor.type == .counter {
            return value + abs(draw) * step
        }
        // Round to the step so the value stays in the source's decimal resolution.
        return ((value + draw / 100 * step) / step).rounded() * step
    }
}

/// The decimal resolution of a value, as the history's chunk encoder detects it (0 for integers).
private enum FieldModeProbe {
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
private struct SplitMix64 {
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

/// Reads this process's memory figures from `/proc/self/status`.
enum ProcessStatus {
    /// Returns a `status` field in KiB, such as `VmRSS`.
    static func kibibytes(_ field: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix(field + ":") else { continue }
            return Int(text.dropFirst(field.count + 1).filter(\.isNumber))
        }
        return nil
    }

    static func format(_ kibibytes: Int?) -> String {
        guard let kibibytes else { return "unknown" }
        return String(Double(kibibytes * 10 / 1024) / 10) + " MiB"
    }
}
