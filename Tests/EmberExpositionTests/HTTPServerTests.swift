import EmberCore
import Glibc
import XCTest

@testable import EmberExposition

final class HTTPServerTests: HTTPServerTestCase {
    func testBoundPortIsReported() throws {
        let port = try startServer()

        XCTAssertNotEqual(port, 0)
        XCTAssertEqual(server?.boundAddresses.first?.description, "127.0.0.1:\(port)")
    }

    func testKeepAliveServesTwoRequests() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send(get("/echo?1"))
        let first = try XCTUnwrap(client.readResponse())
        client.send(get("/echo?2"))
        let second = try XCTUnwrap(client.readResponse())

        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.text, "GET /echo?1\n")
        XCTAssertNil(first.headers["connection"])
        XCTAssertNotNil(first.headers["date"])
        XCTAssertEqual(second.text, "GET /echo?2\n")
    }

    func testPipelinedRequestsAnswerInOrder() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send(get("/echo?a") + "HEAD /echo?b HTTP/1.1\r\nHost: t\r\n\r\n" + get("/nope") + get("/echo?c"))

        XCTAssertEqual(client.readResponse()?.text, "GET /echo?a\n")
        let head = try XCTUnwrap(client.readResponse(isHead: true))
        XCTAssertEqual(head.headers["content-length"], String("HEAD /echo?b\n".utf8.count))
        XCTAssertEqual(client.readResponse()?.status, 404)
        XCTAssertEqual(client.readResponse()?.text, "GET /echo?c\n")
    }

    func testHeadSendsHeadersWithoutBody() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send("HEAD /big HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try XCTUnwrap(client.readResponse(isHead: true))
        client.send(get("/echo"))

        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-length"], String(8 << 20))
        XCTAssertEqual(client.readResponse()?.text, "GET /echo\n", "no body bytes came before this response")
    }

    func testNotFoundListsPaths() {
        var router = HTTPRouter()
        router.route("/metrics") { _ in .text(200, "") }
        router.route("/healthz") { _ in .text(200, "") }

        let response = router.handle(HTTPRequest(method: "GET", target: "/metric"))

        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(
            String(decoding: response.body, as: UTF8.self), "not found: /metric; the paths are /healthz, /metrics\n")
    }

    func testErrorStatuses() throws {
        let port = try startServer()
        let cases: [(String, Int)] = [
            (get("/missing"), 404),
            ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405),
            ("garbage\r\n\r\n", 400),
            ("GET /echo HTTP/1.1\r\nHost: t\r\nX: " + String(repeating: "a", count: 9000) + "\r\n\r\n", 431),
            ("GET /" + String(repeating: "a", count: 5000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
        ]
        for (request, status) in cases {
            let client = try TestHTTPClient(port: port)
            client.send(request)
            let response = client.readResponse()
            XCTAssertEqual(response?.status, status, String(request.prefix(40)))
            if status == 405 {
                XCTAssertEqual(response?.headers["allow"], "GET, HEAD")
            }
        }
    }

    func testMalformedRequestClosesConnection() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send("garbage\r\n\r\n" + get("/echo"))

        XCTAssertEqual(client.readResponse()?.headers["connection"], "close")
        XCTAssertTrue(client.isClosedByServer())
    }

    func testHTTP10ClosesUnlessKeepAlive() throws {
        let port = try startServer()
        let plain = try TestHTTPClient(port: port)
        plain.send("GET /echo HTTP/1.0\r\n\r\n")
        XCTAssertEqual(plain.readResponse()?.headers["connection"], "close")
        XCTAssertTrue(plain.isClosedByServer())

        let keepAlive = try TestHTTPClient(port: port)
        keepAlive.send("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(keepAlive.readResponse()?.headers["connection"], "keep-alive")
        keepAlive.send("GET /echo HTTP/1.0\r\n\r\n")
        XCTAssertEqual(keepAlive.readResponse()?.status, 200)
    }

    func testConnectionCloseRequestIsHonored() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send(get("/echo", extra: "Connection: close\r\n"))

        XCTAssertEqual(client.readResponse()?.headers["connection"], "close")
        XCTAssertTrue(client.isClosedByServer())
    }

    func testReadTimeoutAnswers408() throws {
        let client = try TestHTTPClient(port: try startServer { $0.readTimeout = .milliseconds(300) })
        let start = ContinuousClock.now

        client.send("GET /echo HTTP/1.1\r\nHo")
        let response = client.readResponse()

        XCTAssertEqual(response?.status, 408)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(3))
        XCTAssertTrue(client.isClosedByServer())
    }

    /// A client that trickles bytes cannot extend the read timeout, which runs from the request's first byte.
    func testSlowRequestStillTimesOut() throws {
        let client = try TestHTTPClient(port: try startServer { $0.readTimeout = .milliseconds(300) })

        for byte in "GET /echo HTTP/1.1\r\n" {
            client.send(String(byte))
            usleep(50_000)
        }

        XCTAssertEqual(client.readResponse()?.status, 408)
    }

    /// A client that stops reading is dropped after the write timeout instead of holding its buffers.
    func testStalledReaderIsDropped() throws {
        let port = try startServer { $0.writeTimeout = .milliseconds(300) }
        let client = try TestHTTPClient(port: port)

        client.send(get("/huge"))
        usleep(1_000_000)

        var received = 0
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(client.descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += count
        }
        XCTAssertGreaterThan(received, 0)
        XCTAssertLessThan(received, 32 << 20, "the server gave up before sending the whole body")

        let other = try TestHTTPClient(port: port)
        other.send(get("/echo"))
        XCTAssertEqual(other.readResponse()?.status, 200)
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let client = try TestHTTPClient(port: try startServer { $0.idleTimeout = .milliseconds(300) })

        client.send(get("/echo"))
        XCTAssertEqual(client.readResponse()?.status, 200)

        XCTAssertTrue(client.isClosedByServer())
    }

    func testFullServerClosesOldestIdleConnection() throws {
        let port = try startServer { $0.maxConnections = 2 }
        let oldest = try TestHTTPClient(port: port)
        oldest.send(get("/echo"))
        XCTAssertEqual(oldest.readResponse()?.status, 200)
        let newer = try TestHTTPClient(port: port)
        newer.send(get("/echo"))
        XCTAssertEqual(newer.readResponse()?.status, 200)

        let third = try TestHTTPClient(port: port)
        third.send(get("/echo"))

        XCTAssertEqual(third.readResponse()?.status, 200)
        XCTAssertTrue(oldest.isClosedByServer())
        newer.send(get("/echo"))
        XCTAssertEqual(newer.readResponse()?.status, 200)
    }

    func testClientDisconnectingMidResponse() throws {
        let port = try startServer()
        for _ in 0..<3 {
            let client = try TestHTTPClient(port: port)
            client.send(get("/big"))
            var byte: UInt8 = 0
            XCTAssertEqual(recv(client.descriptor, &byte, 1, 0), 1)
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)  // close with a reset, as a killed client would
            setsockopt(client.descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }

        let survivor = try TestHTTPClient(port: port)
        survivor.send(get("/echo"))
        XCTAssertEqual(survivor.readResponse()?.status, 200)
    }

    func testLargeBodyArrivesComplete() throws {
        let client = try TestHTTPClient(port: try startServer())

        client.send(get("/big"))
        let response = try XCTUnwrap(client.readResponse())

        XCTAssertEqual(response.body.count, 8 << 20)
        XCTAssertTrue(response.body.allSatisfy { $0 == UInt8(ascii: "x") })
    }

    func testIPv6Loopback() throws {
        var configuration = HTTPServerConfiguration(listenAddresses: ["[::1]:0"])
        configuration.maxConnections = 4
        let server = HTTPServer(configuration: configuration, logger: Logger(level: .error)) { _ in .text(200, "v6") }
        do {
            try server.start()
        } catch {
            let unavailable: [HTTPServerError] = [
                .socketFailed(call: "socket", address: "[::1]:0", errno: EAFNOSUPPORT),
                .socketFailed(call: "bind", address: "[::1]:0", errno: EADDRNOTAVAIL),
            ]
            if unavailable.contains(error) {
                throw XCTSkip("no IPv6 loopback on this machine: \(error)")
            }
            throw error
        }
        self.server = server
        let port = try XCTUnwrap(server.boundAddresses.first).port
        XCTAssertEqual(server.boundAddresses.first?.description, "[::1]:\(port)")

        let client = try TestHTTPClient(port: port, host: "::1")
        client.send(get("/"))
        XCTAssertEqual(client.readResponse()?.text, "v6\n")
    }

    func testBindFailureNamesAddressAndErrno() throws {
        let port = try startServer()
        let second = HTTPServer(configuration: HTTPServerConfiguration(listenAddresses: ["127.0.0.1:\(port)"]),
                                logger: Logger(level: .error)) { _ in .text(200, "") }

        XCTAssertThrowsError(try second.start()) { error in
            XCTAssertEqual(error as? HTTPServerError,
                           .socketFailed(call: "bind", address: "127.0.0.1:\(port)", errno: EADDRINUSE))
            XCTAssertEqual("\(error)", "bind on 127.0.0.1:\(port) failed: Address already in use (errno 98)")
        }
    }

    func testStopClosesListener() throws {
        let port = try startServer()
        let client = try TestHTTPClient(port: port)
        client.send(get("/echo"))
        XCTAssertEqual(client.readResponse()?.status, 200)

        server?.stop()
        server?.stop()

        XCTAssertTrue(client.isClosedByServer())
        XCTAssertThrowsError(try TestHTTPClient(port: port))
    }

    func testListenAddressParsing() throws {
        XCTAssertEqual(try ListenAddress(parsing: ":9100"), ListenAddress(host: .any, port: 9100))
        XCTAssertEqual(try ListenAddress(parsing: "0.0.0.0:80"), ListenAddress(host: .ipv4("0.0.0.0"), port: 80))
        XCTAssertEqual(try ListenAddress(parsing: "localhost:1"), ListenAddress(host: .ipv4("127.0.0.1"), port: 1))
        XCTAssertEqual(try ListenAddress(parsing: "[::1]:9100"), ListenAddress(host: .ipv6("::1"), port: 9100))
        for invalid in ["9100", "host:9100", "::1:9100", "127.0.0.1:70000", "127.0.0.1:", "[::1]", "[zz]:1"] {
            XCTAssertThrowsError(try ListenAddress(parsing: invalid), invalid)
        }
    }
}
