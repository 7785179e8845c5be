import EmberCore

/// A devfreq device's `load` attribute: how busy the device was over the governor's last polling
/// window, and the frequency it ran at.
///
/// Only Rockchip's vendor 6.1-era kernels have the file. It prints `%lu@%luHz`, the busy percentage
/// `busy_time * 100 / total_time` of the previous status, then `@`, then the frequency.
public struct DevfreqLoad: Equatable, Sendable {
    /// Busy time over total time, 0–1.
    public let ratio: Double
    /// The frequency the load was measured at, in hertz.
    public let frequencyHertz: UInt64

    public init(ratio: Double, frequencyHertz: UInt64) {
        self.ratio = ratio
        self.frequencyHertz = frequencyHertz
    }

    /// Parses the content of `load`, such as `12@1000000000Hz`.
    ///
    /// Returns nil for an empty file, which the kernel returns while the last status has a total
    /// time of 0. That means no measurement yet, not an error. A percentage above 100
    /// is rejected because busy time cannot exceed total time.
    public static func parse(_ text: String, path: String) throws -> DevfreqLoad? {
        let content = SysfsClass.trimSpace(text)
        if content.isEmpty {
            return nil
        }

        let parts = content.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].hasSuffix("Hz"),
              let percent = UInt64(parts[0]), percent <= 100,
              let frequency = UInt64(parts[1].dropLast(2))
        else {
            throw ParseError(path: path, expected: "\"<percent 0-100>@<frequency>Hz\"", content: text)
        }
        return DevfreqLoad(ratio: Double(percent) / 100, frequencyHertz: frequency)
    }
}

/// A devfreq device's `trans_stat`: per frequency, the transitions out of it and the time spent at it.
///
/// The kernel prints a two-line header, then one row per frequency. A row is `*` on the current
/// row or a space, the frequency as `%10lu` and `:`. One `%10u` transition count per destination
/// frequency follows, then the time at that frequency in ms as `%10llu`. A
/// `Total transition : N` line ends the table.
public struct DevfreqTransitionStats: Equatable, Sendable {
    /// One row of the table.
    public struct State: Equatable, Sendable {
        public let frequencyHertz: UInt64
        /// Transitions from this frequency to each frequency of ``DevfreqTransitionStats/states``, in
        /// the same order.
        public let transitionsTo: [UInt64]
        /// Time spent at this frequency since boot or the last reset of the table, in milliseconds.
        public let milliseconds: UInt64
        /// Whether the kernel marked the row with `*`.
        ///
        /// NOTE: some vendor kernels compare every row with `freq_table[2]`, so the mark is on all
        /// rows or on none. Read `cur_freq` for the current frequency.
        public let isMarked: Bool

        public init(frequencyHertz: UInt64, transitionsTo: [UInt64], milliseconds: UInt64, isMarked: Bool) {
            self.frequencyHertz = frequencyHertz
            self.transitionsTo = transitionsTo
            self.milliseconds = milliseconds
            self.isMarked = isMarked
        }
    }

    public let states: [State]

    public init(states: [State]) {
        self.states = states
    }

    /// The number of frequency changes: the sum of the table, which the kernel's `Total transition`
    /// line repeats.
    public var transitionCount: UInt64 {
        states.reduce(0) { total, state in total &+ state.transitionsTo.reduce(0, &+) }
    }

    /// The width of each transition count: `%10u` of a 32-bit value never exceeds ten digits, so
    /// every count takes exactly ten characters even when a neighbour fills its field.
    static let countWidth = 10

    /// Parses `trans_stat`.
    ///
    /// Returns nil for `Not Supported.` (a device without a frequency table) and for an empty file
    /// (the kernel failed to update the statistics). The header is not used: ten-digit frequencies
    /// fill their fields and run together there, so the frequencies come from the rows.
    public static func parse(_ text: String, path: String) throws -> DevfreqTransitionStats? {
        if let result = ASCIILines.parse(text, { ASCIITransitionTable.parse($0, text: text, path: path) }) {
            return try result.get()
        }
        return try parseCharacters(text, path: path)
    }

    /// Parses by `Character`, the reference behaviour for text with non-ASCII bytes or a carriage
    /// return. ``ASCIITransitionTable`` gives the same result for other text.
    static func parseCharacters(_ text: String, path: String) throws -> DevfreqTransitionStats? {
        let content = SysfsClass.trimSpace(text)
        if content.isEmpty || content == "Not Supported." {
            return nil
        }

        let rows = content.split(separator: "\n").compactMap(splitRow)
        guard !rows.isEmpty else {
            throw ParseError(path: path, expected: "a devfreq transition table", content: text)
        }

        var states: [State] = []
        for row in rows {
            guard let state = parseRow(row, stateCount: rows.count) else {
                let expected = "\(rows.count) transition counts and a time per row"
                throw ParseError(path: path, expected: expected, content: String(row.line))
            }
            states.append(state)
        }
        return DevfreqTransitionStats(states: states)
    }

    /// A table row split at its colon: the frequency and marker before it, the counts after it.
    struct Row {
        let line: Substring
        let isMarked: Bool
        let frequency: UInt64
        let fields: Substring
    }

    /// Returns the row of `line`, or nil for a header or footer line, whose text before the first
    /// colon is not a frequency.
    static func splitRow(_ line: Substring) -> Row? {
        guard let colon = line.firstIndex(of: ":") else { return nil }

        let head = line[..<colon]
        let isMarked = head.first == "*"
        let digits = head.drop { $0 == "*" || $0 == " " }
        guard !digits.isEmpty, digits.allSatisfy(isDecimalDigit), let frequency = UInt64(digits) else {
            return nil
        }
        return Row(line: line, isMarked: isMarked, frequency: frequency, fields: line[line.index(after: colon)...])
    }

    /// Parses the counts of a row as fixed-width fields and the rest as the time, because a time of
    /// more than ten digits (over 115 days at one frequency) runs into the last count.
    static func parseRow(_ row: Row, stateCount: Int) -> State? {
        var rest = row.fields
        var counts: [UInt64] = []
        for _ in 0..<stateCount {
            guard rest.count >= countWidth else { return nil }

            let field = rest.prefix(countWidth)
            rest = rest.dropFirst(countWidth)
            guard let count = UInt64(field.drop { $0 == " " }) else { return nil }
            counts.append(count)
        }

        guard let milliseconds = UInt64(rest.drop { $0 == " " }) else { return nil }
        return State(
            frequencyHertz: row.frequency, transitionsTo: counts, milliseconds: milliseconds, isMarked: row.isMarked)
    }
}
