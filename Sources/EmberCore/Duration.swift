/// Parses Prometheus-style durations such as `500ms`, `1s`, `15m`, `1h30m`, `2d`.
public enum DurationParser {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800),
    ]

    /// The maximum duration accepted: 2^63 - 1 nanoseconds (about 292 years), the range of Go's
    /// `time.Duration`, which the flags of Prometheus exporters parse into. Callers convert durations
    /// to `UInt64` or `Int64` nanoseconds, which traps beyond this.
    public static let maxSeconds = Double(Int64.max) / 1e9

    /// Returns the duration in seconds, or nil when `text` is not a valid duration or is longer than
    /// ``maxSeconds``.
    public static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }

        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)

            // The table lists "ms" before "m" and "s", so the first match is the right one.
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * unit.seconds
        }
        // Double(Int64.max) rounds up to 2^63, so the bound itself is rejected too.
        return total < maxSeconds ? total : nil
    }

    /// Formats seconds back for help text: `1s`, `500ms`, `15m`.
    public static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        let whole = Int(seconds)
        if Double(whole) != seconds { return "\(seconds)s" }
        if whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }
}
