import EmberCore

/// One CPU's line of `/proc/stat`, in USER_HZ ticks since boot.
public struct CPUTimes: Equatable, Sendable {
    /// The CPU number from `cpuN`, as a string because it is used as the `cpu` label.
    public let cpu: String
    /// Ticks in node_exporter's modes, in ``CPUTimes/modeNames`` order.
    public let modes: [UInt64]
    /// `guest` (Linux 2.6.24 and later) and `guest_nice` (2.6.33 and later) ticks, nil when absent.
    public let guest: UInt64?
    public let guestNice: UInt64?

    /// The kernel's column order (proc(5)): user nice system idle iowait irq softirq steal.
    public static let modeNames = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]

    public init(cpu: String, modes: [UInt64], guest: UInt64?, guestNice: UInt64?) {
        self.cpu = cpu
        self.modes = modes
        self.guest = guest
        self.guestNice = guestNice
    }
}

/// Parses the per-CPU lines of `/proc/stat`.
public enum ProcStatParser {
    /// Returns every well-formed `cpuN` line and a ``ParseError`` for each malformed one.
    ///
    /// The aggregate `cpu` line is skipped, as node_exporter's per-CPU families do. A line needs
    /// at least the eight columns through `steal` (Linux 2.6.11 and later) to count.
    public static func parse(_ text: String, path: String) -> (cpus: [CPUTimes], errors: [ParseError]) {
        if let parsed = ASCIILines.parse(text, { parseASCII($0, path: path) }) {
            return parsed
        }
        return parseCharacters(text, path: path)
    }

    /// Parses by `Character`, the reference behaviour that ``parseASCII(_:path:)`` reproduces for
    /// ASCII text. Only text with non-ASCII bytes or a carriage return comes here.
    static func parseCharacters(_ text: String, path: String) -> (cpus: [CPUTimes], errors: [ParseError]) {
        var cpus: [CPUTimes] = []
        var errors: [ParseError] = []
        for line in text.split(separator: "\n") where isPerCPULine(line) {
            if let times = parseLine(line) {
                cpus.append(times)
            } else {
                errors.append(ParseError(
                    path: path, expected: "cpuN followed by at least 8 unsigned tick counts", content: String(line)))
            }
        }
        return (cpus, errors)
    }

    /// Parses ASCII text without a carriage return byte by byte, without a `String` per line or
    /// field. This is the per-sample path, because `/proc/stat` is ASCII.
    private static func parseASCII(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String
    ) -> (cpus: [CPUTimes], errors: [ParseError]) {
        var cpus: [CPUTimes] = []
        var errors: [ParseError] = []
        ASCIILines.forEachLine(bytes) { line in
            guard isPerCPULine(line) else { return true }
            if let times = parseLine(line) {
                cpus.append(times)
            } else {
                errors.append(ParseError(
                    path: path, expected: "cpuN followed by at least 8 unsigned tick counts",
                    content: String(decoding: line, as: UTF8.self)))
            }
            return true
        }
        return (cpus, errors)
    }

    private static func isPerCPULine(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.count > 3 && line[0] == UInt8(ascii: "c") && line[1] == UInt8(ascii: "p") && line[2] == UInt8(ascii: "u")
            && !ASCIILines.isBlank(line[3])
    }

    private static func parseLine(_ line: UnsafeBufferPointer<UInt8>) -> CPUTimes? {
        var fields = ASCIIFields(line)
        guard let name = fields.next(), name.count > 3,
              name.dropFirst(3).allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }

        var values: [UInt64] = []
        values.reserveCapacity(10)
        while let field = fields.next() {
            guard let value = ASCIIFields.unsigned(field) else { return nil }
            values.append(value)
        }
        guard values.count >= 8 else { return nil }
        let cpu = String(decoding: UnsafeBufferPointer(rebasing: name.dropFirst(3)), as: UTF8.self)
        return CPUTimes(
            cpu: cpu, modes: Array(values.prefix(8)),
            guest: values.count > 8 ? values[8] : nil, guestNice: values.count > 9 ? values[9] : nil)
    }

    private static func isPerCPULine(_ line: Substring) -> Bool {
        guard line.hasPrefix("cpu") else { return false }
        let next = line.dropFirst(3).first
        return next.map { $0 != " " && $0 != "\t" } ?? false
    }

    private static func parseLine(_ line: Substring) -> CPUTimes? {
        let fields = Text.fields(line)
        let cpu = fields[0].dropFirst(3)
        guard !cpu.isEmpty, cpu.allSatisfy(isDecimalDigit), fields.count >= 9 else { return nil }

        var values: [UInt64] = []
        for field in fields.dropFirst() {
            guard let value = UInt64(field) else { return nil }
            values.append(value)
        }
        return CPUTimes(
            cpu: String(cpu), modes: Array(values.prefix(8)),
            guest: values.count > 8 ? values[8] : nil, guestNice: values.count > 9 ? values[9] : nil)
    }
}

/// Returns whether `character` is one of the ASCII digits 0–9, the only digits kernel names use.
func isDecimalDigit(_ character: Character) -> Bool {
    ("0"..."9").contains(character)
}

/// One read of `/proc/stat`: its text and the per-CPU lines parsed from it.
struct ProcStat: Sendable {
    let text: String
    let cpus: [CPUTimes]
    let errors: [ParseError]

    /// Reads and parses `path`, once per sample cycle when `memo` is the sampler's: the CPU collector
    /// and the power collector's cluster estimator then share one read.
    static func read(_ path: String, reader: SourceReader, memo: CycleMemo?) throws -> ProcStat {
        try memo.value(path) {
            let text = try reader.table(path)
            let parsed = ProcStatParser.parse(text, path: path)
            return ProcStat(text: text, cpus: parsed.cpus, errors: parsed.errors)
        }
    }
}
