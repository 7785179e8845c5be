#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCollectors
import EmberCore

/// The `ember` command: dispatches to a subcommand and returns the process exit status
/// (0 success, 1 runtime failure, 2 usage error).
public enum EmberMain {
    public static func run(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else {
            // A usage error: the text goes to standard error, so a pipe never takes it for output.
            printError(Help.usage)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        FreeMemory.limitArenas()
        if rest.contains("--help") || rest.contains("-h") {
            return printHelp(command)
        }

        do {
            switch command {
            case "serve":
                return try ServeCommand.run(try options(rest))
            case "snapshot":
                return try SnapshotCommand.run(rest)
            case "history-benchmark":
                return try HistoryBenchmarkCommand.run(rest)
            case "version", "--version":
                if let extra = rest.first {
                    throw UsageError(message: "ember version takes no arguments, got \"\(extra)\"")
                }
                print("ember \(Agent.version) (Swift \(Sampler.swiftVersionString))")
                return 0
            case "help", "--help", "-h":
                return rest.first.map(printHelp) ?? { print(Help.usage); return 0 }()
            default:
                throw UsageError(message: "unknown command \"\(command)\"")
            }
        } catch let error as UsageError {
            printError("ember: \(error.message)\n\(usageHint(command))")
            return 2
        } catch let error as DeviceFilterError {
            // Thrown while the collectors are built, but caused by a flag value.
            printError("ember: \(error.message)\n\(usageHint(command))")
            return 2
        } catch let error as CollectorOptionError {
            printError("ember: \(error.message)\n\(usageHint(command))")
            return 2
        } catch {
            printError("ember: \(error)")
            return 1
        }
    }

    static func options(_ arguments: [String], extraBooleans: Set<String> = []) throws -> AgentOptions {
        let booleans = Set(AgentOptions.flags.filter(\.isBoolean).map(\.name)).union(extraBooleans)
        let values = Set(AgentOptions.flags.filter { !$0.isBoolean }.map(\.name))
            .union(CollectorRegistry.all.flatMap { $0.optionHelp.map(\.flag) })
        let parsed = try ParsedArguments(arguments, booleanFlags: booleans, valueFlags: values)
        guard parsed.positional.isEmpty else {
            throw UsageError(message: "unexpected argument \"\(parsed.positional[0])\"")
        }
        return try AgentOptions(parsed)
    }

    /// Points at the flags of `command` when it has any, because `ember help` alone lists only commands.
    static func usageHint(_ command: String) -> String {
        Help.command(command) == nil ? "Run `ember help` for usage." : "Run `ember help \(command)` for its flags."
    }

    private static func printHelp(_ command: String) -> Int32 {
        guard let text = Help.command(command) else {
            printError("ember: unknown command \"\(command)\"\n\(Help.usage)")
            return 2
        }
        print(text, terminator: "")
        return 0
    }

    static func printError(_ message: String) {
        var bytes = Array(message.utf8)
        bytes.append(0x0A)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
