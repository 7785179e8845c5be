#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Serializes a response's status line and headers.
enum HTTPResponseHead {
    /// Writes the head for `response`, adding `Content-Length` (of the full body, also for HEAD), `Date`
    /// and `Connection`. HTTP/1.0 clients get `Connection: keep-alive` when the connection stays open,
    /// because keep-alive is not their default.
    static func bytes(for response: HTTPResponse, version: HTTPVersion, keepsAlive: Bool, wallSeconds: Int) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(HTTPResponse.reasonPhrase(response.status))\r\n"
        for header in response.headers {
            head += header.name + ": " + header.value + "\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n"
        head += "Date: " + httpDate(wallSeconds) + "\r\n"
        if !keepsAlive {
            head += "Connection: close\r\n"
        } else if version == .http10 {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        return Array(head.utf8)
    }

    /// The IMF-fixdate of RFC 9110, as `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)

        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func twoDigits(_ value: Int32) -> String {
            value < 10 ? "0\(value)" : "\(value)"
        }
        return days[Int(parts.tm_wday)] + ", " + twoDigits(parts.tm_mday) + " " + months[Int(parts.tm_mon)] + " "
            + "\(parts.tm_year + 1900) " + twoDigits(parts.tm_hour) + ":" + twoDigits(parts.tm_min) + ":"
            + twoDigits(parts.tm_sec) + " GMT"
    }
}
