extension ExpositionCache {
    /// Builds the response to a scrape: the format from `Accept`, gzip when `Accept-Encoding` allows it, and 503 until the
    /// first snapshot is published.
    public func response(for request: HTTPRequest) -> HTTPResponse {
        let format = ExpositionFormat.negotiate(accept: request.header("accept"))
        let gzip = ContentCoding.acceptsGzip(request.header("accept-encoding"))
        guard let body = body(for: format, gzip: gzip) else {
            return .text(503, "no metrics yet: the first sample has not been taken")
        }

        var headers = [HTTPHeader("Content-Type", body.contentType), HTTPHeader("Vary", "Accept, Accept-Encoding")]
        if let encoding = body.contentEncoding {
            headers.append(HTTPHeader("Content-Encoding", encoding))
        }
        return HTTPResponse(status: 200, headers: headers, body: body.bytes)
    }
}
