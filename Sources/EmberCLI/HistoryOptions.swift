import EmberCore
import EmberHistory

/// Persistence settings: the state directory, the flush interval and the machine ID file.
struct StorageOptions {
    static let defaultPath = "/var/lib/ember"
    static let defaultMachineIDPath = "/etc/machine-id"

    /// The state directory, or nil when persistence is off.
    var path: String? = StorageOptions.defaultPath
    /// Whether `path` came from the default, so the agent may fall back to a per-user directory.
    var pathIsDefault = true
    var flushIntervalSeconds = 300.0
    var machineIDPath = StorageOptions.defaultMachineIDPath
}

extension AgentOptions {
    static let historyFlags: [FlagSpec] = [
        FlagSpec(name: "history.raw-retention", defaultValue: "15m",
                 help: "How long raw samples are kept in memory for every series."),
        FlagSpec(name: "history.minute-retention", defaultValue: "24h",
                 help: "How long per-minute aggregates (min, max, average, last, count) are kept for every series."),
        FlagSpec(name: "history.hour-retention", defaultValue: "30d",
                 help: "How long per-hour aggregates are kept for series without the long retention, "
                    + "temperatures included."),
        FlagSpec(name: "history.long-retention", defaultValue: "400d",
                 help: "How long per-hour aggregates are kept for NVMe and eMMC health, storage errors and "
                    + "energy counters, and per-hour maxima for temperatures. "
                    + "Must be at least --history.hour-retention."),
        FlagSpec(name: "history.window", defaultValue: "1m,15m",
                 help: "Comma-separated trailing windows of the ember_*_window_{max,min,avg}_* families for "
                    + "temperature, power and frequency series. Each must be at most --history.raw-retention."),
        FlagSpec(name: "storage.path", defaultValue: StorageOptions.defaultPath,
                 help: "Directory where history and accumulated counters are saved and restored at start. "
                    + "If the default is not writable, $XDG_STATE_HOME/ember or ~/.local/state/ember is used. "
                    + "An empty value turns persistence off."),
        FlagSpec(name: "no-storage", defaultValue: "false",
                 help: "Keep history in memory only, the same as --storage.path=\"\".", isBoolean: true),
        FlagSpec(name: "storage.flush-interval", defaultValue: "5m",
                 help: "Time between saves of the counters and the minute tier. The hour tier is saved when an "
                    + "hour closes, and both are saved on SIGTERM and SIGINT."),
        FlagSpec(name: "path.machine-id", defaultValue: StorageOptions.defaultMachineIDPath,
                 help: "File with this machine's ID. A state file saved on another machine is not loaded."),
    ]

    mutating func applyHistoryFlags(_ arguments: ParsedArguments) throws {
        history.intervalSeconds = intervalSeconds
        history.rawRetentionSeconds = try duration(arguments, "history.raw-retention", default: 900)
        history.minuteBuckets = try buckets(arguments, "history.minute-retention", default: 86_400, width: 60)
        history.hourBuckets = try buckets(arguments, "history.hour-retention", default: 30 * 86_400, width: 3600)
        history.longHourBuckets = try buckets(arguments, "history.long-retention", default: 400 * 86_400, width: 3600)
        guard history.longHourBuckets >= history.hourBuckets else {
            let long = DurationParser.format(Double(history.longHourBuckets) * 3600)
            let hour = DurationParser.format(Double(history.hourBuckets) * 3600)
            throw UsageError(
                message: "--history.long-retention must be at least --history.hour-retention (\(long) is shorter than \(hour))")
        }

        windowSeconds = try windows(arguments.value("history.window") ?? "1m,15m")
        if let longest = windowSeconds.max(), longest > history.rawRetentionSeconds {
            throw UsageError(
                message: "--history.raw-retention \(DurationParser.format(history.rawRetentionSeconds)) must be at "
                    + "least the longest --history.window, \(DurationParser.format(longest))")
        }
        try applyStorageFlags(arguments)
    }

    private mutating func applyStorageFlags(_ arguments: ParsedArguments) throws {
        let disabled = try arguments.value("no-storage").map { try Self.boolean($0, flag: "no-storage") } ?? false
        if let value = arguments.value("storage.path") {
            storage.path = value.isEmpty ? nil : value
            storage.pathIsDefault = false
        }
        if disabled {
            storage.path = nil
        }
        storage.flushIntervalSeconds = try duration(arguments, "storage.flush-interval", default: 300)
        if let value = arguments.value("path.machine-id") {
            storage.machineIDPath = value
        }
    }

    /// Converts a retention flag to a number of buckets `width` seconds wide, rounded up.
    private func buckets(_ arguments: ParsedArguments, _ name: String, default fallback: Double, width: Double) throws -> Int {
        let seconds = try duration(arguments, name, default: fallback)
        guard seconds >= width else {
            throw UsageError(message: "invalid --\(name) \(DurationParser.format(seconds)): expected at least "
                + DurationParser.format(width) + ", one bucket")
        }
        return Int((seconds / width).rounded(.up))
    }

    private func windows(_ text: String) throws -> [Double] {
        var seen: [Double] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let seconds = DurationParser.seconds(String(item)), seconds >= 1 else {
                throw UsageError(message: "invalid --history.window \(text): \"\(item)\" is not a duration of at "
                    + "least 1s. Expected a list such as 1m,15m")
            }
            if !seen.contains(seconds) {
                seen.append(seconds)
            }
        }
        return seen
    }
}
