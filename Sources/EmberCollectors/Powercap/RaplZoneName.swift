/// A RAPL zone's family name part and index, derived from its `name` file as node_exporter 1.5
/// (through procfs) derives them.
struct RaplZoneName: Equatable, Sendable {
    /// The name without a numeric `-N` suffix: `package-0` → `package`, `core` → `core`.
    let name: String
    /// The `N` of a `-N` suffix, else how many zones of the same name came before this one.
    let index: Int

    /// The name with each run of characters outside `[A-Za-z0-9_]`, together with the underscores
    /// around it, replaced by one `_` (node_exporter's `SanitizeMetricName`, `_*[^0-9A-Za-z_]+_*`).
    var metricName: String {
        let scalars = Array(name.unicodeScalars)
        var output = String.UnicodeScalarView()
        var start = 0
        while start < scalars.count {
            if let end = RaplZoneName.separatorRun(scalars, from: start) {
                output.append("_")
                start = end
            } else {
                output.append(scalars[start])
                start += 1
            }
        }
        return String(output)
    }

    /// Returns the end of a `_*[^0-9A-Za-z_]+_*` match starting at `start`, or nil when none starts there.
    private static func separatorRun(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var index = start
        while index < scalars.count, scalars[index] == "_" { index += 1 }
        let invalidStart = index
        while index < scalars.count, !isNameCharacter(scalars[index]) { index += 1 }
        guard index > invalidStart else { return nil }
        while index < scalars.count, scalars[index] == "_" { index += 1 }
        return index
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
    }
}

/// Assigns indices to zones in the order they are named. Callers pass zones in sorted entry
/// order, so repeated names such as two `dram` zones get stable indices 0, 1.
struct RaplZoneNamer {
    private var usage: [String: Int] = [:]

    mutating func name(for raw: String) -> RaplZoneName {
        let zone = RaplZoneNamer.split(raw) ?? RaplZoneName(name: raw, index: usage[raw, default: 0])
        // A `name` file may end in any integer, `-9223372036854775807` included, and one more
        // than Int.max would trap. The next zone of that name then gets Int.max as well.
        let (next, overflow) = zone.index.addingReportingOverflow(1)
        usage[zone.name] = overflow ? zone.index : next
        return zone
    }

    /// Splits `name-N` into name and index; nil unless there is exactly one `-` followed by an integer.
    ///
    /// Runs for every zone at every sample, so it looks for the dash in the UTF-8 view instead of
    /// splitting into an array of substrings, which cost about 5 000 instructions a zone (callgrind).
    static func split(_ raw: String) -> RaplZoneName? {
        let dash = UInt8(ascii: "-")
        guard let first = raw.utf8.firstIndex(of: dash) else { return nil }
        let suffix = raw[raw.utf8.index(after: first)...]
        guard !suffix.utf8.contains(dash), let index = Int(suffix) else { return nil }
        return RaplZoneName(name: String(raw[..<first]), index: index)
    }
}
