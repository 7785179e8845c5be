import XCTest

@testable import EmberExposition

final class HTTPRequestParserTests: XCTestCase {
    private let parser = HTTPRequestParser(maxRequestLineBytes: 64, maxHeaderBytes: 128, maxBodyBytes: 16)

    private func parse(_ text: String) -> HTTPRequestParser.Result {
        parser.parse(ArraySlice(Array(text.utf8)))
    }

    private func request(_ text: String, file: StaticString = #filePath, line: UInt = #line)
        -> (HTTPRequest, Int)?
    {
        guard case let .request(request, consumed) = parse(text) else {
            XCTFail("expected a complete request, got \(parse(text))", file: file, line: line)
            return nil
        }
        return (request, consumed)
    }

    private func failureStatus(_ text: String) -> Int? {
        if case let .failure(error) = parse(text) { return error.status }
        return nil
    }

    func testParsesRequestHeadAndQuery() throws {
        let text = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/plain \r\nACCEPT: */*\r\n\r\nGET"
        let (parsed, consumed) = try XCTUnwrap(request(text))

        XCTAssertEqual(parsed.method, "GET")
        XCTAssertEqual(parsed.path, "/metrics")
        XCTAssertEqual(parsed.query, "x=1")
        XCTAssertEqual(parsed.version, .http11)
        XCTAssertEqual(parsed.header("Accept"), "text/plain, */*")
        XCTAssertEqual(consumed, text.utf8.count - 3)
        XCTAssertTrue(parsed.keepsAlive)
    }

    func testIncompleteUntilEmptyLine() {
        for prefix in ["", "GET", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r"] {
            guard case .incomplete = parse(prefix) else {
                XCTFail("\(prefix.debugDescription) should be incomplete")
                continue
            }
        }
    }

    func testAcceptsBareLineFeedsAndLeadingEmptyLines() throws {
        let (parsed, consumed) = try XCTUnwrap(request("\r\n\nHEAD / HTTP/1.0\nX: y\n\n"))

        XCTAssertEqual(parsed.method, "HEAD")
        XCTAssertEqual(parsed.version, .http10)
        XCTAssertEqual(consumed, 25)
        XCTAssertFalse(parsed.keepsAlive)
    }

    func testKeepAliveRules() throws {
        XCTAssertFalse(try XCTUnwrap(request("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n")).0.keepsAlive)
        XCTAssertTrue(try XCTUnwrap(request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).0.keepsAlive)
    }

    func testAbsoluteFormTargetBecomesPath() throws {
        XCTAssertEqual(try XCTUnwrap(request("GET http://h:9100/metrics?a HTTP/1.1\r\nHost: h\r\n\r\n")).0.path,
                       "/metrics")
        XCTAssertEqual(try XCTUnwrap(request("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n")).0.path, "/")
    }

    func testDiscardsDeclaredBody() throws {
        let text = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
        guard case .incomplete = parse(String(text.dropLast())) else { return XCTFail("body not awaited") }

        XCTAssertEqual(try XCTUnwrap(request(text)).1, text.utf8.count)
    }

    func testRejectsMalformedRequests() {
        let cases: [(String, Int)] = [
            ("garbage\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400),
            ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET metrics HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n", 413),
            ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ]
        for (text, status) in cases {
            XCTAssertEqual(failureStatus(text), status, text.debugDescription)
        }
    }

    func testRequestLineLimit() {
        let long = "GET /" + String(repeating: "a", count: 64) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        XCTAssertEqual(failureStatus(long), 414)
        XCTAssertEqual(failureStatus(String(long.prefix(70))), 414, "rejected before the line ends")
    }

    func testHeaderBlockLimit() {
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 130) + "\r\n\r\n"
        XCTAssertEqual(failureStatus(big), 431)
        XCTAssertEqual(failureStatus(String(big.prefix(170))), 431, "rejected before the block ends")
    }

    func testHeaderCountLimit() {
        var limited = parser
        limited.maxHeaderCount = 3
        let three = "GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\n\r\n"
        let four = "GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\nD: 3\r\n\r\n"

        guard case .request = limited.parse(ArraySlice(Array(three.utf8))) else { return XCTFail("3 fields rejected") }
        guard case .failure(let error) = limited.parse(ArraySlice(Array(four.utf8))) else {
            return XCTFail("4 fields accepted")
        }
        XCTAssertEqual(error.status, 431)
        XCTAssertEqual(error.message, "more than 3 request header fields")
    }

    /// Leading empty lines count against the request line limit, so they cannot grow the input without bound.
    func testLeadingEmptyLinesAreLimited() {
        XCTAssertEqual(failureStatus(String(repeating: "\r\n", count: 40)), 414)
        XCTAssertEqual(failureStatus(String(repeating: "\r\n", count: 20) + "GET /" + String(repeating: "a", count: 30)
                                         + " HTTP/1.1\r\nHost: a\r\n\r\n"), 414)
    }

    /// Input longer than `maxIncompleteBytes` always parses to a request or a failure.
    func testLongInputIsNeverIncomplete() {
        let inputs = [
            String(repeating: "a", count: parser.maxIncompleteBytes + 1),
            "GET / HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 40),
            "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n" + String(repeating: "b", count: 200),
        ]
        for input in inputs {
            let padded = input + String(repeating: "c", count: max(0, parser.maxIncompleteBytes + 1 - input.utf8.count))
            if case .incomplete = parse(padded) {
                XCTFail("\(padded.prefix(40).debugDescription) is incomplete")
            }
        }
    }

    func testPathIsPercentDecoded() throws {
        let (parsed, _) = try XCTUnwrap(request("GET /metr%69cs?a=%2B HTTP/1.1\r\nHost: a\r\n\r\n"))

        XCTAssertEqual(parsed.path, "/metrics")
        XCTAssertEqual(parsed.query, "a=%2B", "the query is left to the handler to decode")
        XCTAssertEqual(parsed.target, "/metr%69cs?a=%2B")
    }

    func testRejectsInvalidPaths() {
        let cases: [(path: String, message: String)] = [
            ("/%zz", HTTPRequestTarget.invalidPercentEncoding.message),
            ("/a%", HTTPRequestTarget.invalidPercentEncoding.message),
            ("/a%4", HTTPRequestTarget.invalidPercentEncoding.message),
            ("/a%00", HTTPRequestTarget.invalidDecodedPath.message),
            ("/a%7f", HTTPRequestTarget.invalidDecodedPath.message),
            ("/a%c3%28", HTTPRequestTarget.invalidDecodedPath.message),
            ("/..", HTTPRequestTarget.dotSegment.message),
            ("/a/./b", HTTPRequestTarget.dotSegment.message),
            ("/a/%2e%2e/b", HTTPRequestTarget.dotSegment.message),
            ("/a%2f..%2fb", HTTPRequestTarget.dotSegment.message),
            ("http://h/a/../b", HTTPRequestTarget.dotSegment.message),
        ]
        for (path, message) in cases {
            guard case .failure(let error) = parse("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n") else {
                XCTFail("\(path) accepted")
                continue
            }
            XCTAssertEqual(error.status, 400, path)
            XCTAssertEqual(error.message, message, path)
        }
    }

    func testAcceptsDotsInsideSegments() throws {
        for path in ["/a..b", "/.well-known", "/a/...", "/%c3%a9"] {
            XCTAssertNotNil(request("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n"), path)
        }
    }
}
