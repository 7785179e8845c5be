import EmberCollectors
import EmberCore

/// Usage and help text for every command.
enum Help {
    static let usage = """
        Usage: ember <command> [flags]

        Commands:
          serve      Sample this machine once per interval and serve /metrics, /api/v1/*, /healthz and /.
          snapshot   Take two samples one interval apart and print the exposition to stdout.
          history-benchmark
                     Fill every history tier with synthetic values and print memory and bytes per value.
          version    Print the version.
          help       Print this text, or `ember help <command>` for a command's flags.

        Run `ember <command> --help` for the flags of a command.
        """

    static func command(_ name: String) -> String? {
        switch name {
        case "serve":
            return "Usage: ember serve [flags]\n\nSamples on a fixed cadence and serves Prometheus metrics.\n\n"
                + flagHelp(AgentOptions.flags) + collectorHelp()
        case "snapshot":
            return "Usage: ember snapshot [flags]\n\nTakes two samples one interval apart (so rates and averages "
                + "exist) and prints the second as Prometheus text to stdout.\n\n"
                + flagHelp(AgentOptions.flags.filter { !$0.name.hasPrefix("web.") && !isStorageFlag($0.name) }
                    + [snapshotFormatFlag])
                + collectorHelp()
        case "history-benchmark":
            return "Usage: ember history-benchmark [flags]\n\nTakes one sample for the series set, fills every "
                + "history tier to its retention with changing synthetic values, then prints resident memory and "
                + "compressed bytes per stored value.\n\n"
                + flagHelp(AgentOptions.flags.filter { !isStorageFlag($0.name) })
                + "  \(HistoryBenchmarkCommand.pessimisticFlag)\n      Move every measured gauge (temperature, "
                + "power, frequency, averages, ratios) by a random walk of up to 1 % per step, and grow "
                + "counters by up to their sampled value per step, instead of the realistic feed. Default: false.\n"
                + "  \(HistoryBenchmarkCommand.saveStateFlag)=DIR\n      Save the filled history in DIR as `ember serve "
                + "--storage.path=DIR` saves it, so the agent can be started with full history. Default: nothing is "
                + "saved.\n"
                + collectorHelp()
        case "version":
            return "Usage: ember version\n\nPrints the version and the Swift compiler version.\n"
        default:
            return nil
        }
    }

    /// Flags only `ember serve` uses, because the other commands never save state.
    private static func isStorageFlag(_ name: String) -> Bool {
        name.hasPrefix("storage.") || name == "no-storage" || name == "path.machine-id"
    }

    static let snapshotFormatFlag = FlagSpec(
        name: "format", defaultValue: "text", help: "Output format: text (Prometheus 0.0.4) or openmetrics.")

    private static func flagHelp(_ flags: [FlagSpec]) -> String {
        var text = "Flags:\n"
        for flag in flags {
            let value = flag.isBoolean ? "" : "=VALUE"
            text += "  --\(flag.name)\(value)\n      \(flag.help) Default: \(defaultText(flag.defaultValue)).\n"
        }
        text += "  --help\n      Print this text.\n"
        return text
    }

    /// Formats a flag's default, printing an empty one as "none" rather than as "Default: .".
    private static func defaultText(_ value: String) -> String {
        value.isEmpty ? "none" : value
    }

    private static func collectorHelp() -> String {
        var text = "\nCollectors (enable with --collector.NAME, disable with --no-collector.NAME):\n"
        for definition in CollectorRegistry.all {
            let state = definition.enabledByDefault ? "on" : "off"
            text += "  \(definition.name) (default \(state))\n      \(definition.summary)\n"
            for option in definition.optionHelp {
                text += "  --\(option.flag)=VALUE\n      \(option.help) Default: \(defaultText(option.defaultValue)).\n"
            }
        }
        return text
    }
}
