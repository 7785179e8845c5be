import EmberCore

/// Every collector the agent knows, in the order they appear in `--help`.
///
/// The list is explicit so `grep` finds every registration; names follow node_exporter's where it
/// has the same collector, so `--no-collector.NAME` reads the same.
public enum CollectorRegistry {
    public static let all: [CollectorDefinition] = [
    ]

    /// The definition named `name`, if any.
    public static func definition(named name: String) -> CollectorDefinition? {
        all.first { $0.name == name }
    }
}
