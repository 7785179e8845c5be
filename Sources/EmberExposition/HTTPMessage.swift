/// One header field. Request header names are stored in lowercase, because HTTP field names are
/// case-insensitive.
public struct HTTPHeader: Sendable, Equatable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

public enum HTTPVersion: Sendable, Equatable {
    case http10
    case http11

    var text: String {
        self == .http10 ? "HTTP/1.0" : "HTTP/1.1"
    }
}

/// A parsed request head. Request bodies are read and discarded, because every route is GET or HEAD.
public struct HTTPRequest: Sendable {
    public let method: String
    /// The request target as sent, such as `/metrics?x=1`.
    public let target: String
    /// The target's path without the query, percent-decoded, or as sent when it does not decode. It is `*`
    /// for `OPTIONS *`.
    public let path: String
    /// The text after `?`, or nil without one.
    public let query: String?
    public let version: HTTPVersion
    public let headers: [HTTPHeader]

    public init(method: String, target: String, version: HTTPVersion = .http11, headers: [HTTPHeader] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers.map { HTTPHeader($0.name.lowercased(), $0.value) }

        let question = target.firstIndex(of: "?")
        let rawPath = target[..<(question ?? target.endIndex)]
        self.path = HTTPRequestTarget.percentDecoded(rawPath) ?? String(rawPath)
        self.query = question.map { String(target[target.index(after: $0)...]) }
    }

    /// Returns the value of header `name` in any case. Repeated fields are joined with `, `, as RFC 9110
    /// allows for list-valued fields such as `Accept`.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        let values = headers.filter { $0.name == wanted }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// Whether the client lets the connection stay open: HTTP/1.1 unless `Connection: close`, HTTP/1.0
    /// only with `Connection: keep-alive`.
    public var keepsAlive: Bool {
        let tokens = (header("connection") ?? "").lowercased().split(separator: ",").map {
            $0.trimmingSpaces()
        }
        switch version {
        case .http11: return !tokens.contains("close")
        case .http10: return tokens.contains("keep-alive")
        }
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Headers set by the handler. The server adds `Content-Length`, `Date` and `Connection` itself.
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Makes a `text/plain` response whose body is `message` and a line feed.
    public static func text(_ status: Int, _ message: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "text/plain; charset=utf-8")] + headers,
                     body: Array((message + "\n").utf8))
    }

    /// Returns the standard reason phrase of the status codes this server and its handlers send.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}

extension StringProtocol {
    /// Returns the text without leading and trailing spaces and horizontal tabs (HTTP's optional whitespace).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
