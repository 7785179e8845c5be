import EmberCore

/// The `cpu` collector: time per CPU and mode from `/proc/stat`, and utilization between samples.
public final class CPUCollector: Collector {
    static let seconds = MetricDescriptor(
        "node_cpu_seconds_total", "Seconds the CPU spent in each mode since boot, from /proc/stat.",
        type: .counter, labels: ["cpu", "mode"])
    static let guestSeconds = MetricDescriptor(
        "node_cpu_guest_seconds_total",
        "Seconds the CPU spent running virtual CPUs of guests (also counted in user and nice mode).",
        type: .counter, labels: ["cpu", "mode"])
    static let busyRatio = MetricDescriptor(
        "ember_cpu_busy_ratio",
        "Share of the CPU's time between the last two samples spent outside idle and iowait, 0 to 1.",
        labels: ["cpu"])

    private let reader: SourceReader
    private let logger: Logger
    private let ticksPerSecond: Double
    /// Shares the read of /proc/stat with the power collector within a cycle.
    private let memo: CycleMemo?
    /// The series of each CPU in the last sample, by the `cpu` label value.
    private var series: [String: CPUSeries] = [:]

    /// `ticksPerSecond` is USER_HZ; tests pass a fixed value so expected seconds are exact.
    public init(context: CollectorContext, ticksPerSecond: Double = ClockTicks.perSecond) {
        reader = context.reader
        logger = context.logger
        memo = context.cycle
        self.ticksPerSecond = ticksPerSecond
    }

    public func update(into sink: inout MetricSink) throws {
        let path = reader.roots.proc("stat")
        let parsed: ProcStat
        do {
            parsed = try ProcStat.read(path, reader: reader, memo: memo)
        } catch let error as FileError where error.isNotFound {
            logger.debug("no CPU statistics, file not found", ("path", path))
            return
        }

        if parsed.cpus.isEmpty {
            throw ParseError(path: path, expected: "at least one cpuN line", content: String(parsed.text.prefix(64)))
        }
        parsed.errors.forEach { sink.record($0) }

        for times in parsed.cpus {
            let cpu = series.value(forKey: times.cpu) { CPUSeries(cpu: times.cpu) }
            addTimes(times, series: cpu, into: &sink)
            if let ratio = cpu.previous.flatMap({ CPUCollector.busyRatio(from: $0, to: times) }) {
                sink.add(CPUCollector.busyRatio, ratio, labelValues: cpu.busyLabels)
            }
            // The last line of a CPU is the one the next sample compares with.
            cpu.current = times
        }

        // A CPU missing from this sample has no previous times when it comes back.
        var isMissing = false
        for cpu in series.values {
            cpu.previous = cpu.current
            cpu.current = nil
            isMissing = isMissing || cpu.previous == nil
        }
        if isMissing {
            series = series.filter { $0.value.previous != nil }
        }
    }

    private func addTimes(_ times: CPUTimes, series: CPUSeries, into sink: inout MetricSink) {
        for (ticks, labels) in zip(times.modes, series.modeLabels) {
            sink.add(CPUCollector.seconds, Double(ticks) / ticksPerSecond, labelValues: labels)
        }
        if let guest = times.guest {
            sink.add(CPUCollector.guestSeconds, Double(guest) / ticksPerSecond, labelValues: series.guestLabels[0])
        }
        if let guestNice = times.guestNice {
            sink.add(CPUCollector.guestSeconds, Double(guestNice) / ticksPerSecond, labelValues: series.guestLabels[1])
        }
    }

    /// Returns busy time over total time between two samples, or nil when no tick passed or a
    /// counter went backwards, which idle and iowait can do when a CPU goes offline and back. It is
    /// also nil when the ticks passed add up beyond UInt64, which only a corrupt file gives.
    ///
    /// Idle and iowait count as idle time and every other mode, steal included, as busy. Guest
    /// time is left out of the total because the kernel already counts it in user and nice.
    static func busyRatio(from old: CPUTimes, to new: CPUTimes) -> Double? {
        var total: UInt64 = 0
        var idle: UInt64 = 0
        for (index, (before, after)) in zip(old.modes, new.modes).enumerated() {
            guard after >= before else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(after - before)
            guard !overflow else { return nil }
            total = sum
            if index == 3 || index == 4 {
                // idle is part of total, so it cannot overflow when total did not.
                idle += after - before
            }
        }
        guard total > 0 else { return nil }
        return Double(total - idle) / Double(total)
    }
}

/// The label arrays of one CPU's series, built once, and its times in the last two samples.
///
/// Building the label array of each of a CPU's ten series on every sample, and a dictionary of
/// the times, cost about 4 000 instructions per CPU and sample (callgrind).
final class CPUSeries {
    /// `[cpu, mode]` for each of ``CPUTimes/modeNames``.
    let modeLabels: [[String]]
    /// `[cpu, "user"]` and `[cpu, "nice"]` of the guest series.
    let guestLabels: [[String]]
    let busyLabels: [String]
    /// The times of the previous sample, nil when the CPU was not in it.
    var previous: CPUTimes?
    /// The times of the current sample so far.
    var current: CPUTimes?

    init(cpu: String) {
        modeLabels = CPUTimes.modeNames.map { [cpu, $0] }
        guestLabels = [[cpu, "user"], [cpu, "nice"]]
        busyLabels = [cpu]
    }
}
