/// Checks and decodes the path of a request target (RFC 3986 percent-encoding).
///
/// Routes match the decoded path, so `/metr%69cs` is `/metrics`. Paths with `.` or `..` segments are
/// rejected instead of resolved, because no route has them and a client that sends them is probing.
enum HTTPRequestTarget {
    static let invalidPercentEncoding = HTTPParseError(
        status: 400, message: "invalid percent-encoding in request path: expected % and two hex digits")
    static let invalidDecodedPath = HTTPParseError(
        status: 400, message: "request path decodes to a control character or invalid UTF-8")
    static let dotSegment = HTTPParseError(status: 400, message: "request path must not contain . or .. segments")

    /// Throws unless the path (the target up to `?`) decodes to UTF-8 text without control characters and
    /// contains no `.` or `..` segment, encoded or not.
    static func validatePath(_ path: Substring) throws(HTTPParseError) {
        guard let decoded = percentDecodedBytes(path.utf8) else { throw invalidPercentEncoding }
        guard decoded.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }), String(validating: decoded, as: UTF8.self) != nil
        else {
            throw invalidDecodedPath
        }

        let segments = decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if segments.contains(where: { $0.elementsEqual(".".utf8) || $0.elementsEqual("..".utf8) }) {
            throw dotSegment
        }
    }

    /// Returns the path with every `%XX` replaced by its byte, or nil when a `%` is not followed by two hex
    /// digits or the result is not UTF-8.
    static func percentDecoded(_ path: Substring) -> String? {
        guard let bytes = percentDecodedBytes(path.utf8) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Unlike ``QueryParameters/decode(_:)``, it keeps `+` as is, because `+` means a space only in queries.
    private static func percentDecodedBytes(_ encoded: Substring.UTF8View) -> [UInt8]? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(encoded.count)
        var iterator = encoded.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(QueryParameters.hexValue),
                let low = iterator.next().flatMap(QueryParameters.hexValue)
            else {
                return nil
            }
            decoded.append(high << 4 | low)
        }
        return decoded
    }
}
