#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Opens non-blocking listening sockets.
enum ListeningSocket {
    /// The kernel caps the accept queue at `net.core.somaxconn` anyway.
    static let backlog: Int32 = 128

    /// Creates, binds and listens; returns the descriptor and the address with the port actually bound.
    static func open(_ address: ListenAddress) throws(HTTPServerError) -> (descriptor: Int32, bound: ListenAddress) {
        switch address.host {
        case .ipv4(let host):
            return try openIPv4(host, port: address.port, label: address.description)
        case .ipv6(let host):
            return try openIPv6(host, port: address.port, dualStack: false, label: address.description)
        case .any:
            do {
                return try openIPv6("::", port: address.port, dualStack: true, label: address.description)
            } catch .socketFailed(call: "socket", address: _, errno: EAFNOSUPPORT) {
                return try openIPv4("0.0.0.0", port: address.port, label: address.description)
            }
        }
    }

    private static func openIPv4(_ host: String, port: UInt16, label: String) throws(HTTPServerError)
        -> (descriptor: Int32, bound: ListenAddress)
    {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &socketAddress.sin_addr)

        let descriptor = try makeSocket(family: AF_INET, label: label)
        try bindAndListen(descriptor, &socketAddress, label: label)
        let boundPort = try localPort(descriptor, as: sockaddr_in.self, label: label) { $0.sin_port }
        let host: ListenAddress.Host = host == "0.0.0.0" ? .any : .ipv4(host)
        return (descriptor, ListenAddress(host: host, port: boundPort))
    }

    private static func openIPv6(_ host: String, port: UInt16, dualStack: Bool, label: String)
        throws(HTTPServerError) -> (descriptor: Int32, bound: ListenAddress)
    {
        var socketAddress = sockaddr_in6()
        socketAddress.sin6_family = sa_family_t(AF_INET6)
        socketAddress.sin6_port = port.bigEndian
        inet_pton(AF_INET6, host, &socketAddress.sin6_addr)

        let descriptor = try makeSocket(family: AF_INET6, label: label)
        var v6Only: Int32 = dualStack ? 0 : 1
        if setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6Only, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw closing(descriptor, call: "setsockopt(IPV6_V6ONLY)", label: label)
        }
        try bindAndListen(descriptor, &socketAddress, label: label)
        let boundPort = try localPort(descriptor, as: sockaddr_in6.self, label: label) { $0.sin6_port }
        return (descriptor, ListenAddress(host: dualStack ? .any : .ipv6(host), port: boundPort))
    }

    /// A non-blocking, close-on-exec TCP socket with SO_REUSEADDR, so a restarted agent can bind while old
    /// connections sit in TIME_WAIT.
    private static func makeSocket(family: Int32, label: String) throws(HTTPServerError) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let descriptor = socket(family, type, 0)
        guard descriptor >= 0 else { throw .socketFailed(call: "socket", address: label, errno: errno) }

        var one: Int32 = 1
        if setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw closing(descriptor, call: "setsockopt(SO_REUSEADDR)", label: label)
        }
        return descriptor
    }

    private static func bindAndListen<Address>(_ descriptor: Int32, _ address: inout Address, label: String)
        throws(HTTPServerError)
    {
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        guard result == 0 else { throw closing(descriptor, call: "bind", label: label) }
        guard listen(descriptor, backlog) == 0 else { throw closing(descriptor, call: "listen", label: label) }
    }

    private static func localPort<Address>(
        _ descriptor: Int32, as type: Address.Type, label: String, port: (Address) -> in_port_t
    ) throws(HTTPServerError) -> UInt16 {
        let storage = UnsafeMutablePointer<Address>.allocate(capacity: 1)
        defer { storage.deallocate() }
        var length = socklen_t(MemoryLayout<Address>.size)

        let result = storage.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getsockname(descriptor, $0, &length)
        }
        guard result == 0 else { throw closing(descriptor, call: "getsockname", label: label) }
        return UInt16(bigEndian: port(storage.pointee))
    }

    /// Closes a half-set-up socket and returns the error of the call that failed, with its errno kept.
    private static func closing(_ descriptor: Int32, call: String, label: String) -> HTTPServerError {
        let code = errno
        close(descriptor)
        return .socketFailed(call: call, address: label, errno: code)
    }
}
