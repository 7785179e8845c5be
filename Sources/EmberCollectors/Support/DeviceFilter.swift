/// An include or exclude filter on device names, as node_exporter's `device-include` and
/// `device-exclude` flags.
///
/// A pattern matches anywhere in the name unless it uses `^` and `$`, because node_exporter tests
/// names with Go's `regexp.MatchString`, which is unanchored. Patterns are the part of RE2's
/// syntax that ``DevicePattern`` supports, which covers the usual device patterns (`^(lo|veth.*)$`).
public struct DeviceFilter {
    private let include: DevicePattern?
    private let exclude: DevicePattern?

    /// Builds the filter; an empty pattern means no filter on that side.
    ///
    /// Throws ``DeviceFilterError`` when both are given (node_exporter rejects that too) or a
    /// pattern is not a valid regular expression.
    public init(include includePattern: String, exclude excludePattern: String, flagPrefix: String) throws {
        if !includePattern.isEmpty && !excludePattern.isEmpty {
            throw DeviceFilterError(
                message: "--\(flagPrefix).device-include and --\(flagPrefix).device-exclude are mutually "
                    + "exclusive; set only one")
        }
        include = try DeviceFilter.compile(includePattern, flag: flagPrefix + ".device-include")
        exclude = try DeviceFilter.compile(excludePattern, flag: flagPrefix + ".device-exclude")
    }

    /// Returns whether `name` passes the filter.
    public func accepts(_ name: String) -> Bool {
        if let include, !include.matches(name) {
            return false
        }
        if let exclude, exclude.matches(name) {
            return false
        }
        return true
    }

    private static func compile(_ pattern: String, flag: String) throws -> DevicePattern? {
        guard !pattern.isEmpty else { return nil }
        do {
            return try DevicePattern(pattern)
        } catch {
            throw DeviceFilterError(message: "--\(flag)=\(pattern) is not a valid regular expression: \(error)")
        }
    }
}

/// An invalid device filter option.
public struct DeviceFilterError: Error, CustomStringConvertible {
    public let message: String

    public var description: String { message }
}
