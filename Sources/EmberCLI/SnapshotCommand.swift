#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberExposition

/// `ember snapshot`: two samples one interval apart, then the second one's exposition on stdout.
///
/// Two samples are needed because rates, busy ratios and average frequencies are computed
/// between samples; a single one would print none of them.
enum SnapshotCommand {
    static func run(_ arguments: [String]) throws -> Int32 {
        var rest: [String] = []
        var format = "text"
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument.hasPrefix("--format=") {
                format = String(argument.dropFirst("--format=".count))
            } else if argument == "--format" {
                // `--format openmetrics`, like every other flag that takes a value.
                guard index < arguments.count else {
                    throw UsageError(message: "flag --format needs a value")
                }
                format = arguments[index]
                index += 1
            } else {
                rest.append(argument)
            }
        }
        guard format == "text" || format == "openmetrics" else {
            throw UsageError(message: "invalid --format \(format): expected text or openmetrics")
        }

        let options = try EmberMain.options(rest)
        let logger = Logger(level: options.logLevel)
        let agent = try Agent(options, logger: logger)
        let snapshot = take(agent)
        agent.sampler.writePrivilegeReport()

        let bytes = format == "text"
            ? PrometheusTextEncoder.encode(snapshot.samples).bytes
            : OpenMetricsEncoder.encode(snapshot.samples).bytes
        writeAll(bytes)
        return 0
    }

    /// Samples twice, one interval apart on the monotonic clock, and returns the second snapshot.
    static func take(_ agent: Agent) -> Snapshot {
        let first = agent.process(agent.sampler.sampleOnce())
        let due = first.monotonicNanoseconds + UInt64(agent.options.intervalSeconds * 1e9)
        var spec = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
        return agent.process(agent.sampler.sampleOnce())
    }

    private static func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(1, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
