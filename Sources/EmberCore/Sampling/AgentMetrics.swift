#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The agent's metrics about itself: build, CPU, memory, open files, and per-collector status.
enum AgentMetrics {
    static let buildInfo = MetricDescriptor(
        "ember_build_info", "Ember build: version and the Swift compiler that built it; always 1.",
        labels: ["version", "swift_version"])
    static let cpuSeconds = MetricDescriptor(
        "ember_process_cpu_seconds_total", "CPU time the agent has used, user plus system, in seconds.",
        type: .counter)
    static let residentBytes = MetricDescriptor(
        "ember_process_resident_memory_bytes", "Resident memory of the agent process, in bytes.")
    static let openFiles = MetricDescriptor(
        "ember_process_open_fds", "File descriptors the agent process has open.")
    static let startTime = MetricDescriptor(
        "ember_process_start_time_seconds", "When the agent started, in seconds since the Unix epoch.")
    static let lastSample = MetricDescriptor(
        "ember_last_sample_timestamp_seconds",
        "Start of the last complete sampling cycle, in seconds since the Unix epoch.")
    static let sampleDuration = MetricDescriptor(
        "ember_sample_duration_seconds", "Wall time the last sampling cycle took, in seconds.")
    static let collectorSuccess = MetricDescriptor(
        "ember_collector_success",
        "1 when the collector's last run finished, 0 when it failed or missed the sample deadline.",
        labels: ["collector"])
    static let collectorDuration = MetricDescriptor(
        "ember_collector_duration_seconds", "Wall time of the collector's last run, in seconds.",
        labels: ["collector"])
    static let collectorErrors = MetricDescriptor(
        "ember_collector_errors_total",
        "Read and parse errors that cost the collector single series, since the agent started.",
        type: .counter, labels: ["collector"])
    static let collectorFailures = MetricDescriptor(
        "ember_collector_failures_total",
        "Runs of the collector that failed or missed the sample deadline, since the agent started.",
        type: .counter, labels: ["collector"])
    static let readTimeouts = MetricDescriptor(
        "ember_read_timeouts_total",
        "Reads of the collector abandoned at the per-read deadline (--collector.read-timeout), since the agent "
            + "started.",
        type: .counter, labels: ["collector"])
    static let sourceAvailable = MetricDescriptor(
        "ember_source_available",
        "0 for a source the agent's user may not read (permission denied), with what reading it needs; "
            + "listed only while unavailable.",
        labels: ["collector", "source", "needs"])

    /// The real procfs of the agent's own process. This deliberately ignores `--path.procfs`,
    /// which points at the monitored system (or a fixture), not at the agent.
    static let selfDirectory = SourceRoots.defaultProcfs + "/self"

    /// Appends the process metrics: CPU from `getrusage`, memory from `statm`, open files from `fd/`.
    static func appendProcess(to sink: inout MetricSink, reader: SourceReader, startTime: Double) {
        var usage = rusage()
        if getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 {
            let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            sink.add(cpuSeconds, user + system)
        }
        if let statm = try? reader.string(selfDirectory + "/statm") {
            // statm: size resident shared text lib data dt, in pages. Only the first two fields are
            // split off, because splitting all seven took about 15,000 instructions (callgrind).
            let fields = statm.split(separator: " ", maxSplits: 2)
            if fields.count > 1, let pages = Double(fields[1]) {
                sink.add(residentBytes, pages * Double(sysconf(Int32(_SC_PAGESIZE))))
            }
        }
        if let count = openDescriptorCount(reader: reader) {
            sink.add(openFiles, Double(count))
        }
        sink.add(AgentMetrics.startTime, startTime)
    }

    /// Returns the number of open descriptors. Since Linux 6.2, `stat` of `fd/` gives it as the
    /// size, which costs one call however many files the agent keeps open. Older kernels report
    /// size 0, and then the directory is listed.
    private static func openDescriptorCount(reader: SourceReader) -> Int? {
        let path = selfDirectory + "/fd"
        var info = stat()
        if path.withCString({ stat($0, &info) }) == 0, info.st_size > 0 {
            return Int(info.st_size)
        }

        guard let descriptors = try? reader.fileSystem.listDirectory(path) else { return nil }
        // The directory stream used to list fd/ is itself one of the entries.
        return max(0, descriptors.count - 1)
    }
}
