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
