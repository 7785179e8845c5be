import EmberCore

/// Trailing-window minimum, maximum and average of temperature, power and frequency series.
///
/// A scrape every 15 or 60 s reads one spot value, so a thermal spike or a power burst between two
/// scrapes would be lost. For each family whose descriptor has a ``MetricDescriptor/windowUnit``,
/// this derives three families from the raw history, named after the source family:
/// `node_hwmon_temp_celsius` gives `ember_hwmon_temp_window_max_celsius` (and `_min_`, `_avg_`),
/// with the source's labels plus `window` (such as `1m`).
public final class TrailingWindow {
    public let windowSeconds: Double
    private let windowLabel: String
    private var derived: [String: DerivedFamilies] = [:]
    /// Every windowed series seen within the window, by series key.
    private var recent: [String: TrackedSeries] = [:]
    /// The windowed samples of the last snapshot, in snapshot order. While a snapshot lists the same
    /// series, ``recent`` already contains each of them and no key is built.
    private var lastWindowed: [Sample] = []
    /// Whether a series left ``recent`` since ``lastWindowed`` was taken, so the next snapshot must
    /// add its series again even when they match.
    private var removedSince = false
    /// The raw table's generation when the positions in ``recent`` were found.
    private var positionsGeneration = -1
    /// The history's ``History/seriesListVersion`` when ``lastWindowed`` was taken, or nil when the
    /// caller gave none.
    private var trackedVersion: Int?

    struct DerivedFamilies {
        let maximum: MetricDescriptor
        let minimum: MetricDescriptor
        let average: MetricDescriptor
    }

    /// A windowed series and the labels of its window samples: the source's labels plus `window`.
    /// A class, so that iterating ``recent`` every cycle copies one reference per series instead of
    /// retaining each field, about 330 instructions a series (callgrind).
    private final class TrackedSeries {
        let source: Sample
        let families: DerivedFamilies
        let labelValues: [String]
        /// The series' position in the raw table, or nil when the table does not store it. Looking
        /// the key up instead took about 600 instructions a series per window (callgrind).
        var position: Int?

        init(source: Sample, families: DerivedFamilies, labelValues: [String], position: Int?) {
            self.source = source
            self.families = families
            self.labelValues = labelValues
            self.position = position
        }
    }

    public init(windowSeconds: Double) {
        self.windowSeconds = windowSeconds
        windowLabel = TrailingWindow.durationLabel(windowSeconds)
    }

    /// Builds the window samples for every windowed series with a value in the window.
    ///
    /// `snapshot` must already be recorded in `history`, and `history` must be the same tier on every
    /// call, because the window keeps positions in its table. A series missing from this snapshot
    /// (one failed read) keeps its window families while it has values in the window, because
    /// the peak before the failure is what the window is for. It disappears once the window
    /// has passed.
    ///
    /// `seriesListVersion` is the ``History/seriesListVersion`` after recording `snapshot`. While it stays
    /// the same, the snapshot lists the series of the last one, and the window does not look for new
    /// series in it. That took about 50 instructions a sample and window (callgrind).
    public func samples(for snapshot: Snapshot, history: RawHistory, seriesListVersion: Int? = nil) -> [Sample] {
        var output: [Sample] = []
        appendSamples(for: snapshot, history: history, seriesListVersion: seriesListVersion, to: &output)
        return output
    }

    /// Appends the window samples of ``samples(for:history:seriesListVersion:)`` to `output`, so that the
    /// windows of one snapshot fill one array.
    public func appendSamples(
        for snapshot: Snapshot, history: RawHistory, seriesListVersion: Int? = nil, to output: inout [Sample]
    ) {
        if seriesListVersion == nil || seriesListVersion != trackedVersion || removedSince {
            track(snapshot, history: history)
            trackedVersion = seriesListVersion
        }
        if positionsGeneration != history.generation {
            // The raw table removed series, which moves the positions after them.
            for index in recent.indices {
                recent.values[index].position = history.position(ofSeries: recent.keys[index])
            }
            positionsGeneration = history.generation
        }

        let first = history.firstCycle(windowSeconds: windowSeconds, now: snapshot.monotonicNanoseconds)
        output.reserveCapacity(output.count + recent.count * 3)
        for (key, series) in recent {
            guard let position = series.position,
                  let aggregate = history.aggregate(forSeries: key, at: position, sinceCycle: first)
            else {
                recent[key] = nil
                removedSince = true
                continue
            }

            output.append(Sample(series.families.maximum, aggregate.maximum, labelValues: series.labelValues))
            output.append(Sample(series.families.minimum, aggregate.minimum, labelValues: series.labelValues))
            output.append(Sample(series.families.average, aggregate.average, labelValues: series.labelValues))
        }
    }

    /// Adds the windowed series of `snapshot` to ``recent``, unless they are the last snapshot's.
    private func track(_ snapshot: Snapshot, history: RawHistory) {
        var windowed: [Sample] = []
        windowed.reserveCapacity(lastWindowed.count)
        for sample in snapshot.samples where sample.descriptor.windowUnit != nil {
            windowed.append(sample)
        }
        if !removedSince, windowed.listsSameSeries(as: lastWindowed) {
            return
        }

        for sample in windowed {
            let key = sample.seriesKey
            if let known = recent[key], known.source.descriptor.hasSameDefinition(as: sample.descriptor) {
                continue
            }
            let families = derivedFamilies(for: sample.descriptor, unit: sample.descriptor.windowUnit!)
            recent[key] = TrackedSeries(source: sample, families: families,
                                        labelValues: sample.labelValues + [windowLabel],
                                        position: history.position(ofSeries: key))
        }
        lastWindowed = windowed
        removedSince = false
    }

    private func derivedFamilies(for source: MetricDescriptor, unit: String) -> DerivedFamilies {
        if let existing = derived[source.name] {
            return existing
        }
        let stem = TrailingWindow.stem(of: source.name, unit: unit)
        let labels = source.labelNames + ["window"]
        func make(_ kind: String, _ words: String) -> MetricDescriptor {
            MetricDescriptor(
                "ember_\(stem)_window_\(kind)_\(unit)",
                "\(words) of \(source.name) over the trailing window, in \(TrailingWindow.unitWords(unit)).",
                type: .gauge, labels: labels)
        }
        let families = DerivedFamilies(
            maximum: make("max", "Maximum"), minimum: make("min", "Minimum"), average: make("avg", "Average"))
        derived[source.name] = families
        return families
    }

    /// Returns the unit spelled as in the HELP text of other families ("degrees Celsius", "watts").
    static func unitWords(_ unit: String) -> String {
        unit == "celsius" ? "degrees Celsius" : unit
    }

    /// Returns the family name without its `node_`/`ember_` prefix and unit suffix
    /// (`node_power_supply_power_watt` → `power_supply_power`).
    static func stem(of name: String, unit: String) -> String {
        var stem = Substring(name)
        for prefix in ["node_", "ember_"] where stem.hasPrefix(prefix) {
            stem = stem.dropFirst(prefix.count)
        }
        // node_exporter spells some units in the singular (`_watt`), Ember in the plural.
        for suffix in ["_" + unit, "_" + String(unit.dropLast())] where unit.hasSuffix("s") || suffix == "_" + unit {
            if stem.hasSuffix(suffix) {
                stem = stem.dropLast(suffix.count)
                break
            }
        }
        return String(stem)
    }

    /// Formats a Prometheus-style duration label: `1m`, `15m`, `90s`, `1h`.
    static func durationLabel(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }
}
