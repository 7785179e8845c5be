import EmberCore
import Glibc
import XCTest

@testable import EmberExposition

/// Hostile and broken clients on loopback: slow senders, oversized or invalid requests, clients that
/// disconnect mid-response or never read. Each case checks that other clients keep being served.
final class HTTPHardeningTests: HTTPServerTestCase {
    /// Returns the status of one request on a fresh connection, and how long it took.
    private func timedStatus(port: UInt16, _ request: String) throws -> (status: Int?, seconds: Double) {
        let start = ContinuousClock.now
        let client = try TestHTTPClient(port: port)
        client.send(request)
        let status = client.readResponse()?.status
        let elapsed = ContinuousClock.now - start
        return (status, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// A request sent one byte every 100 ms does not delay other clients, and gets 408 once the read
    /// timeout has passed since it connected.
    func testSlowlorisDoesNotBlockOthers() throws {
        let port = try startServer { $0.readTimeout = .milliseconds(800) }
        let slow = try TestHTTPClient(port: port)
        let connected = ContinuousClock.now

        for byte in "GET /echo HTTP/1.1\r\nHost: t\r\n".utf8.prefix(6) {
            slow.send([byte])
            let other = try timedStatus(port: port, get("/echo"))
            XCTAssertEqual(other.status, 200)
            XCTAssertLessThan(other.seconds, 0.5, "a fast client waited on the slow one")
            usleep(100_000)
        }

        XCTAssertEqual(slow.readResponse()?.status, 408)
        XCTAssertTrue(slow.isClosedByServer())
        XCTAssertLessThan(ContinuousClock.now - connected, .seconds(3))
    }

    /// A client that connects and sends nothing is closed after the read timeout, without a response.
    func testSilentConnectionClosedAfterReadTimeout() throws {
        let client = try TestHTTPClient(port: try startServer { $0.readTimeout = .milliseconds(300) })
        let start = ContinuousClock.now

        XCTAssertTrue(client.isClosedByServer())
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(250))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(3))
    }

    /// The first request's read timeout runs from the accept, so waiting before the first byte does not
    /// buy a slow client more time.
    func testFirstRequestTimeoutRunsFromAccept() throws {
        let client = try TestHTTPClient(port: try startServer { $0.readTimeout = .seconds(1) })
        let start = ContinuousClock.now

        usleep(700_000)
        client.send("GET /echo HTTP/1.1\r\n")

        XCTAssertEqual(client.readResponse()?.status, 408)
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(1500), "the timeout restarted at the first byte")
    }

    func testOversizedAndInvalidRequests() throws {
        let port = try startServer()
        // With Host, 100 more fields exceed the default limit of 100, and 99 more reach it.
        let tooManyHeaders = (0..<100).map { "X-\($0): v\r\n" }.joined()
        let headersAtLimit = (0..<99).map { "X-\($0): v\r\n" }.joined()
        let cases: [(request: String, status: Int)] = [
            ("GET /" + String(repeating: "a", count: 5000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
            (get("/echo", extra: "X: " + String(repeating: "a", count: 9000) + "\r\n"), 431),
            (get("/echo", extra: tooManyHeaders), 431),
            (get("/echo", extra: headersAtLimit), 200),
            ("BREW /echo HTTP/1.1\r\nHost: t\r\n\r\n", 405),
            ("DELETE /echo HTTP/1.1\r\nHost: t\r\n\r\n", 405),
            (get("/echo/../echo"), 400),
            (get("/%2e%2E/echo"), 400),
            (get("/./echo"), 400),
            (get("/ech%zz"), 400),
            (get("/echo%"), 400),
            (get("/echo%0a"), 400),
            (get("/echo%ff"), 400),
            (get("/ech%6F"), 200),
            (get("/echo..x"), 404),
            (get("//echo"), 404),
            (get("http://test/echo"), 200),
            (get("http://test/../echo"), 400),
            (get("ftp://test/echo"), 400),
            (get("echo"), 400),
        ]
        for (request, status) in cases {
            let response = try timedStatus(port: port, request)
            XCTAssertEqual(response.status, status, String(request.prefix(60)).debugDescription)
        }
    }

    func testMethodNotAllowedListsAllow() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send("PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
        let response = try XCTUnwrap(client.readResponse())

        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.headers["allow"], "GET, HEAD")
        client.send(get("/echo"))
        XCTAssertEqual(client.readResponse()?.status, 200, "a 405 keeps the connection open")
    }

    /// Pipelined requests are answered in order, and a `Connection: close` request ends the connection:
    /// the requests after it get no response.
    func testPipelineStopsAtConnectionClose() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send(get("/echo?1") + get("/echo?2", extra: "Connection: close\r\n") + get("/echo?3"))

        XCTAssertEqual(client.readResponse()?.text, "GET /echo?1\n")
        let second = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(second.text, "GET /echo?2\n")
        XCTAssertEqual(second.headers["connection"], "close")
        XCTAssertTrue(client.isClosedByServer())
    }

    /// HTTP/1.0 keeps the connection open only while each request asks for keep-alive.
    func testHTTP10KeepAlivePerRequest() throws {
        let client = try TestHTTPClient(port: try startServer())
        let keepAlive = "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"

        client.send(keepAlive + keepAlive + "GET /echo HTTP/1.0\r\n\r\n" + keepAlive)

        XCTAssertEqual(client.readResponse()?.headers["connection"], "keep-alive")
        XCTAssertEqual(client.readResponse()?.headers["connection"], "keep-alive")
        XCTAssertEqual(client.readResponse()?.headers["connection"], "close")
        XCTAssertTrue(client.isClosedByServer())
    }

    /// Pipelined responses larger than the output bound are sent one after another, complete and in order.
    func testPipelinedLargeResponsesArriveInOrder() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send(get("/big") + get("/echo?a") + get("/big") + get("/echo?b"))

        XCTAssertEqual(client.readResponse()?.body.count, 8 << 20)
        XCTAssertEqual(client.readResponse()?.text, "GET /echo?a\n")
        XCTAssertEqual(client.readResponse()?.body.count, 8 << 20)
        XCTAssertEqual(client.readResponse()?.text, "GET /echo?b\n")
    }

    /// A client reset mid-response frees its connection slot: with a limit of one, the next client is
    /// served instead of getting 503.
    func testDisconnectMidResponseFreesSlot() throws {
        let port = try startServer { $0.maxConnections = 1 }
        for round in 0..<3 {
            let client = try TestHTTPClient(port: port)
            client.send(get("/huge"))
            XCTAssertEqual(client.readStatusLine(), "HTTP/1.1 200 OK", "round \(round)")
            client.resetOnClose()
            client.close()
            usleep(100_000)
        }

        let next = try TestHTTPClient(port: port)
        next.send(get("/echo"))
        XCTAssertEqual(next.readResponse()?.status, 200)
    }

    /// A client that pipelines requests and never reads: the server stops reading its input once the
    /// output bound is reached, so the client's sends stall, and the write timeout closes it.
    func testNeverReadingClientIsBoundedAndTimedOut() throws {
        let port = try startServer { $0.writeTimeout = .milliseconds(500) }
        let client = try TestHTTPClient(port: port)
        // 64 MiB of requests, more than the socket buffers of both ends can take: the maximums in
        // net.ipv4.tcp_rmem and tcp_wmem are a few MiB to 32 MiB on common kernels.
        let requests = Array(String(repeating: get("/big"), count: 2_000_000).utf8)

        let accepted = client.sendWithoutBlocking(requests, for: .milliseconds(300))
        XCTAssertLessThan(accepted, requests.count, "the server kept reading requests it could not answer")

        let other = try TestHTTPClient(port: port)
        other.send(get("/echo"))
        XCTAssertEqual(other.readResponse()?.status, 200)

        usleep(1_000_000)
        XCTAssertTrue(client.isClosedAfterDraining(), "the write timeout did not close the connection")
    }
}
