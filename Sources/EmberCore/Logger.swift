#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Log severity, in increasing order.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug = 0
    case info
    case warn
    case error

    public init?(name: String) {
        switch name {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warn: "warn"
        case .error: "error"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// The destination of formatted log lines.
public protocol LogSink: Sendable {
    func write(_ line: String)
}

/// Writes each line to standard error with one `write` call, so lines from threads never interleave.
public final class StandardErrorSink: LogSink {
    private let lock = Mutex(())

    public init() {}

    public func write(_ line: String) {
        lock.withLock { _ in
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        }
    }
}

/// A logfmt logger: `ts=… level=info msg="…" key=value`, as Prometheus exporters log.
///
/// Values are copied into the logger, so a derived logger (``with(_:_:)``) can be handed to a
/// collector and carries its `collector=NAME` field on every line.
public struct Logger: Sendable {
    public let level: LogLevel
    private let sink: any LogSink
    private let fields: [(String, String)]

    public init(level: LogLevel, sink: any LogSink = StandardErrorSink()) {
        self.level = level
        self.sink = sink
        self.fields = []
    }

    private init(level: LogLevel, sink: any LogSink, fields: [(String, String)]) {
        self.level = level
        self.sink = sink
        self.fields = fields
    }

    /// Returns a logger that adds `key=value` to every line.
    public func with(_ key: String, _ value: String) -> Logger {
        Logger(level: level, sink: sink, fields: fields + [(key, value)])
    }

    public func debug(_ message: String, _ extra: (String, String)...) {
        log(.debug, message, extra)
    }

    public func info(_ message: String, _ extra: (String, String)...) {
        log(.info, message, extra)
    }

    public func warn(_ message: String, _ extra: (String, String)...) {
        log(.warn, message, extra)
    }

    public func error(_ message: String, _ extra: (String, String)...) {
        log(.error, message, extra)
    }

    /// Logs at `severity` with fields assembled at run time.
    public func log(_ severity: LogLevel, _ message: String, fields: [(String, String)]) {
        log(severity, message, fields)
    }

    public func isEnabled(_ candidate: LogLevel) -> Bool {
        candidate >= level
    }

    private func log(_ severity: LogLevel, _ message: String, _ extra: [(String, String)]) {
        guard severity >= level else { return }

        var line = "ts=" + WallClock.iso8601(WallClock.now()) + " level=" + severity.name
        line += " msg=" + Logger.quoted(message)
        for (key, value) in fields + extra {
            line += " " + key + "=" + Logger.quoted(value)
        }
        sink.write(line)
    }

    /// Quotes a logfmt value when it has spaces, quotes, `=` or control characters.
    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.utf8.contains { byte in
            byte <= 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "=") || byte == 0x7F
        }
        guard needsQuotes else { return value }

        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    escaped += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped + "\""
    }
}
