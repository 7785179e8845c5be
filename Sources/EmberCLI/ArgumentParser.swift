/// A command-line error, printed with the usage hint and exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let message: String

    var description: String { message }
}

/// Splits `--name=value`, `--name value` and bare `--name` flags, in node_exporter's style.
///
/// Flags are looked up by name without the leading dashes. A flag listed in `booleanFlags`, or one
/// starting with `collector.` or `no-collector.` that names no option, never takes the next word.
/// A bare flag that is neither boolean nor in `valueFlags` is rejected as unknown, so a typo does
/// not swallow the next argument as its value.
struct ParsedArguments {
    private(set) var values: [String: String] = [:]
    private(set) var order: [String] = []
    private(set) var positional: [String] = []

    init(_ arguments: [String], booleanFlags: Set<String>, valueFlags: Set<String>) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                positional.append(argument)
                continue
            }

            let body = argument.drop { $0 == "-" }
            if let equals = body.firstIndex(of: "=") {
                set(String(body[..<equals]), String(body[body.index(after: equals)...]))
            } else if ParsedArguments.isBoolean(String(body), booleanFlags) {
                set(String(body), "true")
            } else {
                guard valueFlags.contains(String(body)) else {
                    throw UsageError(message: "unknown flag --\(body)")
                }
                guard index < arguments.count else {
                    throw UsageError(message: "flag --\(body) needs a value")
                }
                set(String(body), arguments[index])
                index += 1
            }
        }
    }

    /// Returns the value of `name`, if given.
    func value(_ name: String) -> String? {
        values[name]
    }

    /// Flag names as given, in command-line order.
    var names: [String] { order }

    private mutating func set(_ name: String, _ value: String) {
        if values[name] == nil {
            order.append(name)
        }
        values[name] = value
    }

    private static func isBoolean(_ name: String, _ booleanFlags: Set<String>) -> Bool {
        if booleanFlags.contains(name) { return true }
        // `--collector.hwmon` and `--no-collector.hwmon` are switches; `--collector.netdev.device-exclude`
        // is an option that takes a value.
        for prefix in ["collector.", "no-collector."] where name.hasPrefix(prefix) {
            return !name.dropFirst(prefix.count).contains(".")
        }
        return false
    }
}
