/// A request the parser rejected, with the response status to send before closing the connection.
struct HTTPParseError: Error, Equatable {
    let status: Int
    let message: String
}

/// An incremental HTTP/1.x request parser (RFC 9112) over the bytes a connection has read so far.
///
/// It keeps no buffer of its own. Given the unconsumed input, it returns one complete request with the number
/// of bytes it used, requests more input, or rejects the request.
struct HTTPRequestParser {
    enum Result {
        case incomplete
        case request(HTTPRequest, consumed: Int)
        case failure(HTTPParseError)
    }

    /// The maximum request line length in bytes, CRLF included; longer lines get 414.
    let maxRequestLineBytes: Int
    /// The maximum header block length in bytes after the request line; longer blocks get 431.
    let maxHeaderBytes: Int
    /// The maximum request body length in bytes, read and discarded; larger bodies get 413.
    let maxBodyBytes: Int
    /// The maximum number of header fields; more get 431.
    var maxHeaderCount = 100

    /// The maximum input an incomplete request can take, in bytes. Once a connection has buffered more than this,
    /// ``parse(_:)`` returns a request or a failure, never `.incomplete`, so reading may stop there.
    var maxIncompleteBytes: Int {
        maxRequestLineBytes + maxHeaderBytes + maxBodyBytes
    }

    func parse(_ input: ArraySlice<UInt8>) -> Result {
        // RFC 9112 section 2.2: a server should ignore empty lines received before the request line. They
        // count against the request line limit, so a stream of empty lines cannot grow the input forever.
        var start = input.startIndex
        while start < input.endIndex, input[start] == UInt8(ascii: "\r") || input[start] == UInt8(ascii: "\n") {
            start += 1
        }

        guard let lineEnd = input[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            return input.count > maxRequestLineBytes ? .failure(Self.uriTooLong) : .incomplete
        }
        guard lineEnd + 1 - input.startIndex <= maxRequestLineBytes else { return .failure(Self.uriTooLong) }

        guard let headerEnd = findHeaderEnd(input, from: lineEnd + 1) else {
            return input.endIndex - (lineEnd + 1) > maxHeaderBytes ? .failure(Self.headersTooLarge) : .incomplete
        }
        guard headerEnd - (lineEnd + 1) <= maxHeaderBytes else { return .failure(Self.headersTooLarge) }

        do throws(HTTPParseError) {
            let request = try parseHead(requestLine: input[start..<lineEnd], headers: input[(lineEnd + 1)..<headerEnd])
            let bodyLength = try contentLength(request)
            guard input.endIndex - headerEnd >= bodyLength else { return .incomplete }
            return .request(request, consumed: headerEnd + bodyLength - input.startIndex)
        } catch {
            return .failure(error)
        }
    }

    static let uriTooLong = HTTPParseError(status: 414, message: "request line too long")
    static let headersTooLarge = HTTPParseError(status: 431, message: "request header block too large")

    private var tooManyHeaders: HTTPParseError {
        HTTPParseError(status: 431, message: "more than \(maxHeaderCount) request header fields")
    }

    /// Returns the index after the empty line that ends the header block, or nil when it has not arrived.
    private func findHeaderEnd(_ input: ArraySlice<UInt8>, from start: Int) -> Int? {
        var lineStart = start
        while let lineEnd = input[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            let length = lineEnd - lineStart
            if length == 0 || (length == 1 && input[lineStart] == UInt8(ascii: "\r")) {
                return lineEnd + 1
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    private func parseHead(requestLine: ArraySlice<UInt8>, headers: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequest {
        let line = Self.dropCarriageReturn(requestLine)
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenByte) else {
            throw HTTPParseError(status: 400, message: "malformed request line")
        }

        let version = try Self.parseVersion(parts[2])
        let target = try Self.parseTarget(parts[1])
        let fields = try Self.parseHeaderFields(headers)
        guard fields.count <= maxHeaderCount else { throw tooManyHeaders }
        let request = HTTPRequest(method: String(decoding: parts[0], as: UTF8.self), target: target, version: version,
                                  headers: fields)

        if version == .http11, fields.filter({ $0.name == "host" }).count != 1 {
            throw HTTPParseError(status: 400, message: "HTTP/1.1 request needs exactly one Host header")
        }
        return request
    }

    private static func parseVersion(_ text: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        switch String(decoding: text, as: UTF8.self) {
        case "HTTP/1.1": return .http11
        case "HTTP/1.0": return .http10
        case let other where other.hasPrefix("HTTP/") && other.count == 8:
            throw HTTPParseError(status: 505, message: "unsupported HTTP version \(other)")
        default:
            throw HTTPParseError(status: 400, message: "malformed HTTP version")
        }
    }

    /// Accepts origin-form (`/path?query`), absolute-form (`http://host/path`, reduced to its path) and `*`,
    /// and rejects paths that ``HTTPRequestTarget/validatePath(_:)`` rejects.
    private static func parseTarget(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> String {
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPParseError(status: 400, message: "malformed request target")
        }

        let target = String(decoding: bytes, as: UTF8.self)
        if target == "*" {
            return target
        }
        let originForm = try originForm(of: target)
        try HTTPRequestTarget.validatePath(originForm.prefix { $0 != "?" })
        return originForm
    }

    private static func originForm(of target: String) throws(HTTPParseError) -> String {
        if target.hasPrefix("/") {
            return target
        }
        let lowercased = target.lowercased()
        for scheme in ["http://", "https://"] where lowercased.hasPrefix(scheme) {
            let afterScheme = target.dropFirst(scheme.count)
            return afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
        }
        throw HTTPParseError(status: 400, message: "malformed request target")
    }

    private static func parseHeaderFields(_ block: ArraySlice<UInt8>) throws(HTTPParseError) -> [HTTPHeader] {
        var fields: [HTTPHeader] = []
        for rawLine in block.split(separator: UInt8(ascii: "\n")) {
            let line = dropCarriageReturn(rawLine)
            if line.isEmpty { continue }

            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[..<colon].allSatisfy(isTokenByte)
            else {
                throw HTTPParseError(status: 400, message: "malformed header line")
            }
            let value = line[(colon + 1)...]
            guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == UInt8(ascii: "\t") }) else {
                throw HTTPParseError(status: 400, message: "control character in header value")
            }
            fields.append(HTTPHeader(String(decoding: line[..<colon], as: UTF8.self).lowercased(),
                                     String(decoding: value, as: UTF8.self).trimmingSpaces()))
        }
        return fields
    }

    /// The body length from `Content-Length`. Chunked request bodies are not supported (501), because no
    /// route takes a body and Ember's clients (Prometheus, curl) send none with GET.
    private func contentLength(_ request: HTTPRequest) throws(HTTPParseError) -> Int {
        if request.header("transfer-encoding") != nil {
            throw HTTPParseError(status: 501, message: "Transfer-Encoding in requests is not supported")
        }
        guard let text = request.header("content-length") else { return 0 }

        let values = Set(text.split(separator: ",").map { $0.trimmingSpaces() })
        guard values.count == 1, let value = values.first, !value.isEmpty, value.utf8.count <= 18,
            value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let length = Int(value)
        else {
            throw HTTPParseError(status: 400, message: "invalid Content-Length")
        }
        guard length <= maxBodyBytes else {
            throw HTTPParseError(status: 413, message: "request body larger than \(maxBodyBytes) bytes")
        }
        return length
    }

    private static func dropCarriageReturn(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        line.last == UInt8(ascii: "\r") ? line.dropLast() : line
    }

    /// RFC 9110 `tchar`: the characters allowed in methods and header names.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
