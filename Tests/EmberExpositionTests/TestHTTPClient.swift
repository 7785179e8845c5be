import Glibc
import XCTest

/// A response as read off the wire.
struct RawResponse {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP client on raw sockets, so tests control every byte and the connection's lifetime.
/// Each receive waits at most `timeout` (SO_RCVTIMEO), so no test can hang.
final class TestHTTPClient {
    private(set) var descriptor: Int32
    private var buffer: [UInt8] = []

    private let port: UInt16
    private let host: String

    /// Opens a socket and connects it, unless `connectLater` is set. Then ``connect()`` connects it, so a
    /// test can create the socket before it uses up the process's descriptors.
    init(port: UInt16, host: String = "127.0.0.1", timeout: Double = 5, connectLater: Bool = false) throws {
        self.port = port
        self.host = host
        descriptor = socket(host.contains(":") ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestClientError.failed("socket", errno) }

        var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        if !connectLater {
            try connect()
        }
    }

    func connect() throws {
        let result: Int32
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard result == 0 else {
            let code = errno
            close()
            throw TestClientError.failed("connect", code)
        }
    }

    deinit {
        close()
    }

    /// Closes the socket now instead of at deinit.
    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// Makes ``close()`` send a reset instead of a FIN, as the kernel does for a killed client with unread data.
    func resetOnClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    func send(_ text: String) {
        send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    /// Sends as much of `bytes` as the socket takes without blocking within `duration`, retrying every 10 ms,
    /// and returns the number of bytes sent. It stops early when the server closes the connection.
    func sendWithoutBlocking(_ bytes: [UInt8], for duration: Duration) -> Int {
        let deadline = ContinuousClock.now + duration
        var offset = 0
        while offset < bytes.count, ContinuousClock.now < deadline {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, bytes.count - offset,
                           Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if sent > 0 {
                offset += sent
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                usleep(10_000)
            } else {
                break
            }
        }
        return offset
    }

    /// Reads the first line of a response, without its CRLF, leaving the rest unread.
    func readStatusLine() -> String? {
        guard let end = readUntil(separator: Array("\r\n".utf8)) else { return nil }
        return String(decoding: buffer[..<end], as: UTF8.self)
    }

    /// Returns whether the server closed the connection, after discarding whatever it sent before. Returns
    /// false when the receive timeout passes first.
    func isClosedAfterDraining() -> Bool {
        buffer.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { continue }
            return count == 0 || errno == ECONNRESET
        }
    }

    /// Reads one response. With `isHead`, no body is read whatever the Content-Length value.
    func readResponse(isHead: Bool = false) -> RawResponse? {
        guard let headEnd = readUntil(separator: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)

        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }

        let length = isHead ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length {
            guard receiveMore() else { return nil }
        }
        let body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return RawResponse(status: status, headers: headers, body: body)
    }

    /// Whether the server closed the connection: a receive returns end of file (or a reset) with no data
    /// left unread.
    func isClosedByServer() -> Bool {
        guard buffer.isEmpty else { return false }
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, 0)
        return count == 0 || (count < 0 && errno == ECONNRESET)
    }

    private func readUntil(separator: [UInt8]) -> Int? {
        while true {
            if let range = buffer.firstRange(of: separator) {
                return range.lowerBound
            }
            guard receiveMore() else { return nil }
        }
    }

    private func receiveMore() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }
}

enum TestClientError: Error {
    case failed(String, Int32)
}
