import EmberCore

/// One row of cpufreq's `stats/time_in_state`.
public struct FrequencyResidency: Equatable, Sendable {
    /// The frequency in kHz, as the kernel prints it.
    public let frequencyKilohertz: UInt64
    /// Time spent at that frequency, in USER_HZ ticks (see ``CpufreqParser/parseTimeInState(_:path:)``).
    public let ticks: UInt64

    public init(frequencyKilohertz: UInt64, ticks: UInt64) {
        self.frequencyKilohertz = frequencyKilohertz
        self.ticks = ticks
    }
}

/// Parsers for the text files under `devices/system/cpu/cpufreq/policyN`.
public enum CpufreqParser {
    /// Parses `stats/time_in_state`: one `<frequency kHz> <time>` pair per line.
    ///
    /// The time column is in USER_HZ ticks. The kernel documentation
    /// (Documentation/cpu-freq/cpufreq-stats.rst) calls the unit "usertime units … 10mS"; the
    /// driver (drivers/cpufreq/cpufreq_stats.c) converts jiffies with `jiffies_64_to_clock_t`, and
    /// the 2005 commit "cpufreq-stats driver updates" changed the output "from HZ to clock_t". Both
    /// agree where USER_HZ is 100, which holds on arm64 and x86.
    public static func parseTimeInState(_ text: String, path: String) throws -> [FrequencyResidency] {
        if let result = ASCIILines.parse(text, { parseTimeInStateASCII($0, text: text, path: path) }) {
            return try result.get()
        }
        return try parseTimeInStateCharacters(text, path: path)
    }

    /// Parses by `Character`, the reference behaviour for text with non-ASCII bytes or a carriage
    /// return. ``parseTimeInStateASCII(_:text:path:)`` gives the same result for other text.
    static func parseTimeInStateCharacters(_ text: String, path: String) throws -> [FrequencyResidency] {
        var rows: [FrequencyResidency] = []
        for line in text.split(separator: "\n") {
            let fields = Text.fields(line)
            if fields.isEmpty {
                continue
            }
            guard fields.count == 2, let frequency = UInt64(fields[0]), let ticks = UInt64(fields[1]) else {
                throw ParseError(path: path, expected: "\"<frequency kHz> <time>\" per line", content: String(line))
            }
            rows.append(FrequencyResidency(frequencyKilohertz: frequency, ticks: ticks))
        }
        if rows.isEmpty {
            throw ParseError(path: path, expected: "\"<frequency kHz> <time>\" per line", content: text)
        }
        return rows
    }

    /// Parses ASCII text byte by byte, the per-sample path of `time_in_state`.
    private static func parseTimeInStateASCII(
        _ bytes: UnsafeBufferPointer<UInt8>, text: String, path: String
    ) -> Result<[FrequencyResidency], ParseError> {
        let expected = "\"<frequency kHz> <time>\" per line"
        var rows: [FrequencyResidency] = []
        var malformed: String?
        ASCIILines.forEachLine(bytes) { line in
            var fields = ASCIIFields(line)
            guard let first = fields.next() else { return true }

            guard let second = fields.next(), fields.next() == nil,
                  let frequency = ASCIIFields.unsigned(first), let ticks = ASCIIFields.unsigned(second)
            else {
                malformed = String(decoding: line, as: UTF8.self)
                return false
            }
            rows.append(FrequencyResidency(frequencyKilohertz: frequency, ticks: ticks))
            return true
        }

        if let malformed {
            return .failure(ParseError(path: path, expected: expected, content: malformed))
        }
        if rows.isEmpty {
            return .failure(ParseError(path: path, expected: expected, content: text))
        }
        return .success(rows)
    }

    /// Parses a space-separated list such as `scaling_available_governors` or
    /// `scaling_available_frequencies`, which the kernel prints with a trailing space.
    public static func parseList(_ text: String) -> [String] {
        // ASCII whitespace is tab through carriage return and space, which is what
        // `Character.isWhitespace` accepts below 0x80.
        let words = ASCIILines.parse(text) { bytes in
            var words: [String] = []
            ASCIILines.forEachLine(bytes, separatedBy: { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }) { word in
                words.append(String(decoding: word, as: UTF8.self))
                return true
            }
            return words
        }
        return words ?? text.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// Parses `scaling_available_frequencies` into kHz values.
    public static func parseFrequencies(_ text: String, path: String) throws -> [UInt64] {
        try parseList(text).map { field in
            guard let value = UInt64(field) else {
                throw ParseError(path: path, expected: "space-separated frequencies in kHz", content: text)
            }
            return value
        }
    }

    /// Returns the average frequency in kHz over the interval between two `time_in_state` readings,
    /// Σ f·Δt / Σ Δt, or nil when no time passed or a counter went backwards (the stats were reset
    /// through `stats/reset`).
    ///
    /// Frequencies present in only one of the readings are ignored: the table changes only when
    /// the driver reloads its frequency table.
    public static func averageFrequency(from old: [FrequencyResidency], to new: [FrequencyResidency]) -> Double? {
        var previousTicks: [UInt64: UInt64] = [:]
        for row in old {
            previousTicks[row.frequencyKilohertz] = row.ticks
        }

        var weighted = 0.0
        var elapsed: UInt64 = 0
        for row in new {
            guard let before = previousTicks[row.frequencyKilohertz] else { continue }
            guard row.ticks >= before else { return nil }
            let delta = row.ticks - before
            weighted += Double(row.frequencyKilohertz) * Double(delta)
            elapsed += delta
        }
        return elapsed > 0 ? weighted / Double(elapsed) : nil
    }
}
