import EmberCollectors
import EmberCore
import EmberExposition
import EmberHistory

/// One documented flag, for parsing and for `--help`.
struct FlagSpec {
    let name: String
    let defaultValue: String
    let help: String
    var isBoolean = false
}

/// Everything `ember serve` and `ember snapshot` are configured with.
struct AgentOptions {
    var roots = SourceRoots()
    var listenAddress = AgentOptions.defaultListenAddress
    var intervalSeconds = 1.0
    var timeoutSeconds = 0.8
    var readDeadline = ReadDeadline()
    /// Seconds between rescans of the source tree's layout; 0 lists, resolves and opens at every sample.
    /// On the real /sys, kernel uevents start a rescan as soon as a device comes or goes, so the
    /// interval bounds how stale the attributes read once per rescan can get. At 10 s, rescans took
    /// about a fifth of the agent's CPU at one sample a second on node_exporter's test tree.
    var rescanSeconds = 60.0
    var history = HistoryConfiguration()
    var windowSeconds: [Double] = [60, 900]
    var storage = StorageOptions()
    var logLevel = LogLevel.info
    var enabledCollectors: [String] = []
    var collectorOptions = CollectorOptions()
    var maxConnections = 64
    var readTimeoutSeconds = 10.0
    var idleTimeoutSeconds = 60.0
    /// From `--web.config.file`; nil serves plain HTTP without authentication.
    var webConfig: WebConfig?
    var writeTimeoutSeconds = 10.0

    /// The Prometheus default-port list allocates all of 9100-9999, so no free number is left;
    /// 9811 avoids the well-known exporters (node 9100, blackbox 9115, …).
    static let defaultListenAddress = ":9811"

    static let flags: [FlagSpec] = [
        FlagSpec(name: "web.listen-address", defaultValue: defaultListenAddress,
                 help: "Address to serve on: host:port, [ipv6]:port, or :port for every interface."),
        FlagSpec(name: "web.max-connections", defaultValue: "64",
                 help: "Maximum number of HTTP connections open at once, lowered at start if the open-file limit "
                    + "cannot hold them. When all are in use, the one that has waited longest for a request is "
                    + "closed to admit a new one."),
        FlagSpec(name: "web.read-timeout", defaultValue: "10s",
                 help: "Time allowed to receive a whole request: from connecting for the first request, from its "
                    + "first byte for later ones on a keep-alive connection."),
        FlagSpec(name: "web.idle-timeout", defaultValue: "60s",
                 help: "Time a keep-alive connection may stay idle before it is closed."),
        FlagSpec(name: "web.config.file", defaultValue: "",
                 help: "Web configuration file (exporter-toolkit format) that enables TLS and basic auth."),
        FlagSpec(name: "web.write-timeout", defaultValue: "10s",
                 help: "Time a response may make no progress because the client does not read it, before the "
                    + "connection is closed."),
        FlagSpec(name: "path.sysfs", defaultValue: SourceRoots.defaultSysfs, help: "sysfs mount point."),
        FlagSpec(name: "path.procfs", defaultValue: SourceRoots.defaultProcfs, help: "procfs mount point."),
        FlagSpec(name: "path.debugfs", defaultValue: "kernel/debug under --path.sysfs (\(SourceRoots.defaultDebugfs))",
                 help: "debugfs mount point."),
        FlagSpec(name: "path.devfs", defaultValue: "dev beside --path.sysfs (\(SourceRoots.defaultDevfs))",
                 help: "devfs mount point."),
        FlagSpec(name: "sample.interval", defaultValue: "1s",
                 help: "Time between samples (a duration: 500ms, 1s, 5s)."),
        FlagSpec(name: "sample.timeout", defaultValue: "0.8 × --sample.interval (800ms)",
                 help: "How long a sample waits for its collectors; at most the interval. A collector still "
                    + "running then is reported failed and skipped until it returns."),
        FlagSpec(name: "collector.read-timeout", defaultValue: "250ms, or half of --sample.timeout if that is shorter",
                 help: "How long one open plus read of a source file, libsensors' and libpci's own reads "
                    + "included, may block before it is abandoned. The file is then skipped, and retried after "
                    + "30s, then at doubling waits up to 5m. Must be shorter than --sample.timeout."),
        FlagSpec(name: "collector.rescan-interval", defaultValue: "1m",
                 help: "How often collectors list directories and resolve links again to find devices "
                    + "added or removed. On the real /sys a kernel uevent for an added, removed or moved "
                    + "device starts a rescan at the next sample. Between rescans, source files stay open "
                    + "and each sample re-reads them (files outside sysfs and procfs are reopened at each "
                    + "rescan), except labels, limits and addresses, which are read again only at a rescan. "
                    + "A device that disappears is noticed at its next read. 0s lists, opens and closes at "
                    + "every sample."),
    ] + historyFlags + [
        FlagSpec(name: "collector.disable-defaults", defaultValue: "false",
                 help: "Start with every collector off; enable each with --collector.NAME.", isBoolean: true),
        FlagSpec(name: "log.level", defaultValue: "info", help: "Minimum severity of logged lines: debug, info, warn or error."),
    ]

    /// Builds options from parsed flags, rejecting unknown flags and invalid values.
    init(_ arguments: ParsedArguments) throws {
        try applyGeneralFlags(arguments)
        try applyCollectorFlags(arguments)
    }

    private mutating func applyGeneralFlags(_ arguments: ParsedArguments) throws {
        if let value = arguments.value("web.listen-address") {
            // Checked here so that a malformed address is a usage error, not a failure to serve.
            do {
                _ = try ListenAddress(parsing: value)
            } catch .invalidAddress(_, let reason) {
                throw UsageError(
                    message: "invalid --web.listen-address \(value): \(reason); expected host:port, [ipv6]:port or :port")
            } catch {
                throw UsageError(message: "invalid --web.listen-address \(value): \(error)")
            }
            listenAddress = value
        }
        if let value = arguments.value("web.max-connections") {
            guard let count = Int(value), count > 0 else {
                throw UsageError(message: "invalid --web.max-connections \(value): expected a positive integer")
            }
            maxConnections = count
        }
        if let path = arguments.value("web.config.file"), !path.isEmpty {
            do {
                webConfig = try WebConfig.load(path: path)
            } catch {
                throw UsageError(message: "invalid --web.config.file: \(error)")
            }
        }
        readTimeoutSeconds = try duration(arguments, "web.read-timeout", default: readTimeoutSeconds)
        idleTimeoutSeconds = try duration(arguments, "web.idle-timeout", default: idleTimeoutSeconds)
        writeTimeoutSeconds = try duration(arguments, "web.write-timeout", default: writeTimeoutSeconds)
        let sysfs = SourceRoots(sysfs: arguments.value("path.sysfs") ?? SourceRoots.defaultSysfs).sysfs
        // debugfs is mounted at kernel/debug under sysfs, so a fixture tree or another host's /sys
        // contains its own. This machine's debugfs beside another sysfs would mix two systems.
        let debugfs = arguments.value("path.debugfs") ?? sysfs + "/kernel/debug"
        roots = SourceRoots(
            sysfs: sysfs,
            procfs: arguments.value("path.procfs") ?? SourceRoots.defaultProcfs,
            debugfs: debugfs,
            devfs: arguments.value("path.devfs") ?? Self.devfs(beside: sysfs))
        intervalSeconds = try duration(arguments, "sample.interval", default: intervalSeconds)
        timeoutSeconds = min(intervalSeconds, try duration(arguments, "sample.timeout", default: intervalSeconds * 0.8))
        readDeadline.timeoutSeconds = try duration(
            arguments, "collector.read-timeout", default: min(ReadDeadline.defaultTimeoutSeconds, timeoutSeconds / 2))
        try checkReadTimeout()
        rescanSeconds = try rescanInterval(arguments)
        try applyHistoryFlags(arguments)
        if let value = arguments.value("log.level") {
            guard let level = LogLevel(name: value) else {
                throw UsageError(message: "invalid --log.level \(value): expected debug, info, warn or error")
            }
            logLevel = level
        }
    }

    /// Rejects a per-read deadline that is not shorter than the sample timeout, because a blocking file
    /// would then fail its whole collector's sample before its read is abandoned.
    private func checkReadTimeout() throws {
        guard readDeadline.timeoutSeconds >= timeoutSeconds else { return }

        let readTimeout = DurationParser.format(readDeadline.timeoutSeconds)
        let sampleTimeout = DurationParser.format(timeoutSeconds)
        throw UsageError(
            message: "invalid --collector.read-timeout \(readTimeout): must be shorter than --sample.timeout "
                + "(\(sampleTimeout)), or one blocking file fails its whole collector. Lower it or raise "
                + "--sample.timeout")
    }

    /// Applies `--collector.NAME`, `--no-collector.NAME` and `--collector.NAME.OPTION=VALUE`.
    private mutating func applyCollectorFlags(_ arguments: ParsedArguments) throws {
        let disableDefaults = try arguments.value("collector.disable-defaults")
            .map { try Self.boolean($0, flag: "collector.disable-defaults") } ?? false
        var enabled = Set(disableDefaults ? [] : CollectorRegistry.all.filter(\.enabledByDefault).map(\.name))
        let known = Set(AgentOptions.flags.map(\.name))
        let optionFlags = Set(CollectorRegistry.all.flatMap { $0.optionHelp.map(\.flag) })

        for name in arguments.names where !known.contains(name) {
            let value = arguments.value(name) ?? ""
            if optionFlags.contains(name) {
                collectorOptions.values[name] = value
            } else if name.hasPrefix("collector."), let collector = try collectorName(name, "collector.") {
                if try Self.boolean(value, flag: name) { enabled.insert(collector) } else { enabled.remove(collector) }
            } else if name.hasPrefix("no-collector."), let collector = try collectorName(name, "no-collector.") {
                if try Self.boolean(value, flag: name) { enabled.remove(collector) } else { enabled.insert(collector) }
            } else {
                throw UsageError(message: "unknown flag --\(name)")
            }
        }
        enabledCollectors = CollectorRegistry.all.map(\.name).filter(enabled.contains)
    }

    private func collectorName(_ flag: String, _ prefix: String) throws -> String? {
        let name = String(flag.dropFirst(prefix.count))
        guard !name.contains(".") else { return nil }
        guard CollectorRegistry.definition(named: name) != nil else {
            let known = CollectorRegistry.all.map(\.name).joined(separator: ", ")
            throw UsageError(message: "unknown collector \"\(name)\" in --\(flag); known collectors: \(known)")
        }
        return name
    }

    /// Parses a switch's value as Go's `strconv.ParseBool` does, because node_exporter's flag library
    /// (kingpin) parses `--collector.cpu=false` and `--collector.cpu=1` with that function.
    static func boolean(_ text: String, flag: String) throws -> Bool {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: throw UsageError(message: "invalid --\(flag)=\(text): expected true or false")
        }
    }

    func duration(_ arguments: ParsedArguments, _ name: String, default fallback: Double) throws -> Double {
        guard let text = arguments.value(name) else { return fallback }
        guard let seconds = DurationParser.seconds(text), seconds > 0 else {
            throw UsageError(message: "invalid --\(name) \(text): expected a positive duration under 292 years, such as 500ms, 1s, 5m")
        }
        return seconds
    }

    /// Parses `--collector.rescan-interval`, which unlike other durations may be 0.
    private func rescanInterval(_ arguments: ParsedArguments) throws -> Double {
        guard let text = arguments.value("collector.rescan-interval") else { return rescanSeconds }
        guard let seconds = DurationParser.seconds(text), seconds >= 0 else {
            throw UsageError(message: "invalid --collector.rescan-interval \(text): expected a duration such as "
                + "10s or 1m, or 0s to rescan at every sample")
        }
        return seconds
    }

    /// Returns the devfs that belongs with `sysfs`: /dev for /sys, else `dev` next to it
    /// (`/host/sys` gives `/host/dev`, a fixture's `tree/sys` gives `tree/dev`).
    ///
    /// The NVMe collector opens the device nodes of the controllers that sysfs lists. This
    /// machine's /dev beside another sysfs would so read this machine's drives under the other
    /// system's names.
    static func devfs(beside sysfs: String) -> String {
        if sysfs == SourceRoots.defaultSysfs {
            return SourceRoots.defaultDevfs
        }
        guard let slash = sysfs.lastIndex(of: "/") else { return "dev" }
        return String(sysfs[..<slash]) + "/dev"
    }
}
