import CEmberShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberExposition
import EmberHistory

/// `ember history-benchmark`: fills every history tier to its retention with changing values for
/// the series this machine (or a fixture tree) has, then prints resident memory and bytes per
/// stored value. It measures what full default history costs without waiting 400 days.
///
/// One real sample gives the series set. Synthetic snapshots then cover the hour tier's long
/// retention at 10-minute steps, the minute tier's retention at 10-second steps and the raw tier's
/// window at the sample interval. Each tier so contains as many points as after a real run of that length.
/// ``SyntheticFeeder`` describes how the values move; `--pessimistic` selects the older, noisier feed.
enum HistoryBenchmarkCommand {
    /// Flag that selects the older feed, a random walk of every measured gauge, in place of the
    /// realistic feed.
    static let pessimisticFlag = "--pessimistic"

    /// Flag that saves the filled history as a state file in a directory, so `ember serve
    /// --storage.path=DIR` starts with full history and its resident memory can be measured.
    static let saveStateFlag = "--save-state"

    static func run(_ arguments: [String]) throws -> Int32 {
        let model: FeedModel = arguments.contains(pessimisticFlag) ? .pessimistic : .realistic
        let saveDirectory = arguments.last { $0.hasPrefix(saveStateFlag + "=") }.map { String($0.dropFirst(saveStateFlag.count + 1)) }
        let agentArguments = arguments.filter {
            !$0.hasPrefix("--no-storage") && $0 != pessimisticFlag && !$0.hasPrefix(saveStateFlag + "=")
        }
        let options = try EmberMain.options(agentArguments + ["--no-storage"])
        let logger = Logger(level: options.logLevel)
        let agent = try Agent(options, logger: logger)
        let cache = ExpositionCache()
        // The template is not recorded, because the first synthetic snapshot must anchor the
        // history's clock far in the past.
        let template = agent.sampler.sampleOnce()

        let wallStart = WallClock.now() - Double(options.history.longHourBuckets) * 3600
        var feeder = SyntheticFeeder(template: template, wallStart: wallStart, model: model)
        let heapBefore = heapInUse()
        let cycles = agent.history.withHistory { history in
            feeder.fill(history, options: options)
        }
        let heapAfter = heapInUse()
        cache.publish(template)

        let report = agent.history.withHistory { history in
            Report(series: history.seriesSummaries().count, values: history.storedValueCount,
                   bytes: history.byteCount, cycles: cycles)
        }
        print("feed: \(model)")
        print(report.text())
        if let heapBefore, let heapAfter {
            // The fill runs on this thread, so its allocations are in the main arena that mallinfo2 counts.
            // KiB as well, because steps that change the history's containers often move it by less than 0.1 MiB.
            let growth = (heapAfter - heapBefore) / 1024
            print("heap in use, growth during the fill (the history's allocations): "
                + "\(ProcessStatus.format(growth)) (\(growth) KiB)")
        }
        // Freed memory that malloc keeps for reuse counts as resident, so trimming shows how much that is.
        _ = ember_malloc_trim()
        print("resident after malloc_trim: \(ProcessStatus.format(ProcessStatus.kibibytes("VmRSS"))) "
            + "(anonymous \(ProcessStatus.format(ProcessStatus.kibibytes("RssAnon"))))")
        let breakdown = agent.history.withHistory { $0.storageBreakdown() }
        print(BreakdownTable(breakdown).text())
        guard let saveDirectory else { return 0 }
        return try save(agent, to: saveDirectory, agentArguments: agentArguments, logger: logger)
    }

    /// Saves `agent`'s history and counters into `directory` as `ember serve` would on a stop.
    private static func save(_ agent: Agent, to directory: String, agentArguments: [String], logger: Logger) throws -> Int32 {
        let options = try EmberMain.options(agentArguments + ["--storage.path=" + directory])
        guard let persistence = StorageSetup.persistence(options, logger: logger) else {
            print("failed to save the state: \(directory) is not a usable storage directory (see the log)")
            return 1
        }
        persistence.saveNow(history: agent.history, ledger: agent.counters)
        print("state saved in \(directory)")
        return 0
    }

    /// Returns the bytes malloc has handed out and not got back, or nil where glibc cannot tell.
    private static func heapInUse() -> Int? {
        var bytes: UInt64 = 0
        guard ember_malloc_in_use(&bytes) == 0 else { return nil }
        return Int(bytes)
    }

    private struct Report {
        let series: Int
        let values: Int
        let bytes: Int
        let cycles: Int

        /// Formats the report. Resident memory is split as the kernel counts it, into anonymous pages
        /// (heap, stacks) and file pages (the binary and shared libraries, which the kernel can drop and reread).
        func text() -> String {
            let perValue = values > 0 ? Double(bytes) / Double(values) : 0
            return """
                series with history: \(series)
                synthetic snapshots recorded: \(cycles)
                stored values (raw points plus bucket aggregates): \(values)
                compressed bytes: \(bytes)
                bytes per stored value: \(String(Double(Int(perValue * 1000)) / 1000))
                resident: \(ProcessStatus.format(ProcessStatus.kibibytes("VmRSS"))) \
                (anonymous \(ProcessStatus.format(ProcessStatus.kibibytes("RssAnon"))), \
                files \(ProcessStatus.format(ProcessStatus.kibibytes("RssFile"))), \
                peak \(ProcessStatus.format(ProcessStatus.kibibytes("VmHWM"))))
                """
        }
    }
}

/// Reads this process's memory figures from `/proc/self/status`.
enum ProcessStatus {
    /// Returns a `status` field in KiB, such as `VmRSS`.
    static func kibibytes(_ field: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix(field + ":") else { continue }
            return Int(text.dropFirst(field.count + 1).filter(\.isNumber))
        }
        return nil
    }

    static func format(_ kibibytes: Int?) -> String {
        guard let kibibytes else { return "unknown" }
        return String(Double(kibibytes * 10 / 1024) / 10) + " MiB"
    }
}
