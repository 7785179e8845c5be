#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Errors from starting the HTTP server, each naming the address involved.
public enum HTTPServerError: Error, CustomStringConvertible, Equatable {
    case invalidAddress(String, reason: String)
    /// A socket call failed; `call` is the system call, `errno` its error number.
    case socketFailed(call: String, address: String, errno: Int32)
    case threadStartFailed(errno: Int32)
    case alreadyStarted

    public var description: String {
        switch self {
        case let .invalidAddress(address, reason):
            "invalid listen address \"\(address)\": \(reason); expected host:port, [ipv6]:port or :port"
        case let .socketFailed(call, address, code):
            "\(call) on \(address) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .threadStartFailed(code):
            "starting the HTTP server thread failed: \(String(cString: strerror(code))) (errno \(code))"
        case .alreadyStarted:
            "the HTTP server is already running"
        }
    }
}

/// A listen address in Go's `host:port` form, as node_exporter's `--web.listen-address` takes it.
///
/// `:port` listens on all interfaces, over IPv6 with IPv4-mapped addresses where the kernel has IPv6, and
/// over IPv4 otherwise. `localhost` means 127.0.0.1. Other hosts must be numeric IP addresses.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Host: Sendable, Equatable {
        case any
        case ipv4(String)
        case ipv6(String)
    }

    public let host: Host
    /// 0 picks a free ephemeral port; ``HTTPServer/boundAddresses`` has the port the kernel chose.
    public let port: UInt16

    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(HTTPServerError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw .invalidAddress(text, reason: "missing port")
        }
        guard let port = UInt16(text[text.index(after: colon)...]) else {
            throw .invalidAddress(text, reason: "port must be a number from 0 to 65535")
        }

        let hostText = String(text[..<colon])
        self.port = port
        self.host = try Self.parseHost(hostText, in: text)
    }

    private static func parseHost(_ hostText: String, in text: String) throws(HTTPServerError) -> Host {
        if hostText.isEmpty {
            return .any
        }
        if hostText == "localhost" {
            return .ipv4("127.0.0.1")
        }
        if hostText.hasPrefix("["), hostText.hasSuffix("]") {
            let inner = String(hostText.dropFirst().dropLast())
            var address = in6_addr()
            guard inet_pton(AF_INET6, inner, &address) == 1 else {
                throw .invalidAddress(text, reason: "\(inner) is not an IPv6 address")
            }
            return .ipv6(inner)
        }

        var address = in_addr()
        guard inet_pton(AF_INET, hostText, &address) == 1 else {
            throw .invalidAddress(text, reason: "\(hostText) is not an IPv4 address (IPv6 needs brackets)")
        }
        return .ipv4(hostText)
    }

    public var description: String {
        switch host {
        case .any: ":\(port)"
        case let .ipv4(address): "\(address):\(port)"
        case let .ipv6(address): "[\(address)]:\(port)"
        }
    }
}
