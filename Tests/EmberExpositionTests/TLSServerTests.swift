import EmberCore
import EmberTestSupport
import Foundation
import XCTest

@testable import EmberExposition

/// The HTTPS server against real TLS clients (curl and openssl s_client) on loopback, with
/// certificates made at test time.
final class TLSServerTests: XCTestCase {
    private var server: HTTPServer?
    private var certificates: TestCertificates!

    override func setUpWithError() throws {
        certificates = try TestCertificates()
    }

    override func tearDown() {
        server?.stop()
        server = nil
        certificates = nil
    }

    private func settings(_ adjust: (inout TLSSettings) -> Void = { _ in }) -> TLSSettings {
        var settings = TLSSettings(certFile: certificates.certFile, keyFile: certificates.keyFile)
        adjust(&settings)
        return settings
    }

    /// Starts an HTTPS server whose every path returns 200 `hello`; returns its port.
    private func start(_ settings: TLSSettings, sink: RecordingLogSink = RecordingLogSink(),
                       readTimeout: Duration = .seconds(10)) throws -> UInt16 {
        var configuration = HTTPServerConfiguration(listenAddresses: ["127.0.0.1:0"])
        configuration.readTimeout = readTimeout
        let logger = Logger(level: .debug, sink: sink)
        configuration.tls = try TLSServerContext(settings: settings, logger: logger)
        let server = HTTPServer(configuration: configuration, logger: logger) { _ in .text(200, "hello") }
        try server.start()
        self.server = server
        return try XCTUnwrap(server.boundAddresses.first).port
    }

    private func curl(_ port: UInt16, _ extra: [String] = []) throws -> (status: Int32, output: String) {
        try runTool("/usr/bin/curl", ["--silent", "--show-error", "--max-time", "10", "--cacert", certificates.caFile]
                    + extra + ["https://127.0.0.1:\(port)/metrics"])
    }

    private func sClient(_ port: UInt16, _ extra: [String]) throws -> (status: Int32, output: String) {
        try runTool(TestCertificates.openssl, ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile",
                                               certificates.caFile] + extra)
    }

    func testCurlGetsMetricsOverTLS() throws {
        let port = try start(settings())

        let (status, output) = try curl(port)

        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output, "hello\n")
    }

    func testPlainHTTPGets400AndServerKeepsServing() throws {
        let sink = RecordingLogSink()
        let port = try start(settings(), sink: sink)

        let client = try TestHTTPClient(port: port)
        client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())

        XCTAssertEqual(response.status, 400)
        XCTAssertTrue(response.text.contains("HTTP request to an HTTPS server"), response.text)
        XCTAssertEqual(try curl(port).output, "hello\n")
        let closes = sink.lines(containing: "client sent plain HTTP to the TLS port")
        XCTAssertEqual(closes.filter { $0.contains("msg=\"closed HTTP connection\"") }.count, 1, "\(closes)")
        XCTAssertEqual(closes.filter { $0.contains("msg=\"TLS handshakes failed") }.count, 1, "\(closes)")
    }

    func testFailedHandshakesWarnOncePerMinute() throws {
        let sink = RecordingLogSink()
        let port = try start(settings(), sink: sink)

        // Without the CA, curl rejects the certificate and aborts the handshake with an alert.
        for _ in 0..<3 {
            let result = try runTool("/usr/bin/curl", ["--silent", "--max-time", "10",
                                                       "https://127.0.0.1:\(port)/metrics"])
            XCTAssertNotEqual(result.status, 0)
        }
        XCTAssertEqual(try curl(port).output, "hello\n")

        let warnings = sink.lines(containing: "TLS handshakes failed")
        XCTAssertEqual(warnings.count, 1, "\(sink.lines)")
        XCTAssertTrue(warnings.first?.contains("level=warn") ?? false)
        XCTAssertTrue(warnings.first?.contains("failures=1 last_peer=127.0.0.1:") ?? false, "\(warnings)")
        XCTAssertTrue(warnings.first?.contains("unknown ca") ?? false, "\(warnings)")
    }

    func testHandshakeFailureLogCountsBetweenLines() {
        let sink = RecordingLogSink()
        let logger = Logger(level: .info, sink: sink)
        let log = HandshakeFailureLog()

        log.note(reason: "first", peer: "a", now: 1, logger: logger)
        log.note(reason: "second", peer: "b", now: 2, logger: logger)
        log.note(reason: "third", peer: "c", now: 3, logger: logger)
        log.note(reason: "fourth", peer: "d", now: 1 + HandshakeFailureLog.interval, logger: logger)

        XCTAssertEqual(sink.lines.count, 2)
        XCTAssertTrue(sink.lines.first?.contains("failures=1 last_peer=a last_err=first") ?? false, "\(sink.lines)")
        XCTAssertTrue(sink.lines.last?.contains("failures=3 last_peer=d last_err=fourth") ?? false, "\(sink.lines)")
    }

    func testNegotiatesTLS13AndRejectsTLS11() throws {
        let port = try start(settings())

        let modern = try sClient(port, [])
        XCTAssertEqual(modern.status, 0, modern.output)
        XCTAssertTrue(modern.output.contains("New, TLSv1.3, Cipher is"), modern.output)
        XCTAssertTrue(modern.output.contains("Verify return code: 0 (ok)"), modern.output)

        let old = try sClient(port, ["-tls1_1"])
        XCTAssertNotEqual(old.status, 0, old.output)
        XCTAssertTrue(old.output.contains("alert protocol version"), old.output)
        XCTAssertEqual(try curl(port).output, "hello\n")
    }

    func testStalledHandshakeTimesOut() throws {
        let sink = RecordingLogSink()
        let port = try start(settings(), sink: sink, readTimeout: .milliseconds(300))

        // A TLS record header that promises a ClientHello which never comes.
        let client = try TestHTTPClient(port: port, timeout: 3)
        client.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        let started = Date()

        XCTAssertTrue(client.isClosedByServer())
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        // The server logs right after it closes the socket, so the line may trail the client's end of input.
        let deadline = Date() + 2
        while sink.lines(containing: "TLS handshake not completed within").isEmpty, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertEqual(sink.lines(containing: "TLS handshake not completed within").count, 1)
        XCTAssertEqual(try curl(port).output, "hello\n")
    }

    /// OpenSSL 3 at its default security level fails TLS 1.0 and 1.1 whatever `min_version` says, but
    /// TLS 1.2 is rejected only by `min_version`, so this shows that the minimum is applied.
    func testMinVersionTLS13RejectsTLS12() throws {
        let port = try start(settings { $0.minVersion = .tls13 })

        let old = try sClient(port, ["-tls1_2"])
        XCTAssertNotEqual(old.status, 0, old.output)
        XCTAssertTrue(old.output.contains("alert protocol version"), old.output)

        let modern = try sClient(port, [])
        XCTAssertEqual(modern.status, 0, modern.output)
        XCTAssertTrue(modern.output.contains("New, TLSv1.3, Cipher is"), modern.output)
    }

    func testMaxVersionTLS12() throws {
        let port = try start(settings { $0.maxVersion = .tls12 })

        let result = try sClient(port, [])

        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("New, TLSv1.2, Cipher is"), result.output)
    }

    func testClientCertificateRequired() throws {
        let port = try start(settings {
            $0.clientAuth = .requireAndVerifyClientCert
            $0.clientCAFile = certificates.caFile
        })

        let without = try curl(port)
        XCTAssertNotEqual(without.status, 0, without.output)

        let with = try curl(port, ["--cert", certificates.clientCertFile, "--key", certificates.clientKeyFile])
        XCTAssertEqual(with.status, 0, with.output)
        XCTAssertEqual(with.output, "hello\n")
    }

    func testClientAllowedSANs() throws {
        try certificates.issue(
            name: "client", commonName: "scraper",
            alternativeNames: "DNS:scraper.example,IP:::1,email:ops@example.org,URI:spiffe://lab/prom")
        let clientFlags = ["--cert", certificates.clientCertFile, "--key", certificates.clientKeyFile]
        let cases: [(allowed: [String], accepted: Bool)] = [
            (["scraper.example"], true),
            (["::1"], true),
            (["ops@example.org"], true),
            (["spiffe://lab/prom"], true),
            (["other.example", "127.0.0.1"], false),
            (["scraper"], false),
        ]
        for (allowed, accepted) in cases {
            let sink = RecordingLogSink()
            let port = try start(settings {
                $0.clientAuth = .requireAndVerifyClientCert
                $0.clientCAFile = certificates.caFile
                $0.clientAllowedSANs = allowed
            }, sink: sink)

            let result = try curl(port, clientFlags)

            XCTAssertEqual(result.status == 0, accepted, "\(allowed): \(result.output)")
            XCTAssertEqual(result.output == "hello\n", accepted, "\(allowed): \(result.output)")
            server?.stop()
            if !accepted {
                let rejections = sink.lines(containing: "none of its subject alternative names (scraper.example, "
                                            + "::1, ops@example.org, spiffe://lab/prom)")
                XCTAssertEqual(rejections.filter { $0.contains("level=debug msg=\"closed HTTP connection\"") }.count,
                               1, "\(rejections)")
            }
        }
    }

    func testInlineCertificateKeyAndClientCA() throws {
        let read = { (path: String) in try String(contentsOfFile: path, encoding: .utf8) }
        let port = try start(TLSSettings(certFile: "", keyFile: "").with {
            // The chain with its root, as a full chain file from a CA often is.
            $0.certPEM = try read(certificates.certFile) + read(certificates.caFile)
            $0.keyPEM = try read(certificates.keyFile)
            $0.clientAuth = .requireAndVerifyClientCert
            $0.clientCAPEM = try read(certificates.caFile)
        })

        XCTAssertNotEqual(try curl(port).status, 0)
        let result = try curl(port, ["--cert", certificates.clientCertFile, "--key", certificates.clientKeyFile])
        XCTAssertEqual(result.output, "hello\n")
    }

    func testRenewedCertificateIsServedWithoutRestart() throws {
        let sink = RecordingLogSink()
        let port = try start(settings(), sink: sink)
        XCTAssertTrue(try sClient(port, []).output.contains("CN = ember-test-server"))

        try certificates.issue(name: "server", commonName: "ember-renewed-server")
        // The files are checked at most once a second.
        Thread.sleep(forTimeInterval: 1.1)

        let renewed = try sClient(port, [])
        XCTAssertTrue(renewed.output.contains("CN = ember-renewed-server"), renewed.output)
        XCTAssertEqual(sink.lines(containing: "reloaded the TLS certificate and key").count, 1)
    }

    func testBrokenRenewalKeepsPreviousCertificate() throws {
        let sink = RecordingLogSink()
        let port = try start(settings(), sink: sink)

        try "not a key\n".write(toFile: certificates.keyFile, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 1.1)

        let result = try curl(port)
        XCTAssertEqual(result.output, "hello\n")
        XCTAssertEqual(sink.lines(containing: "failed to reload the TLS certificate or key").count, 1)
    }

    func testSetupErrorsNameTheFile() throws {
        try certificates.issue(name: "other", commonName: "other")
        let cases: [(TLSSettings, String)] = [
            (settings { $0.keyFile = certificates.directory + "/other.key" }, "key values mismatch"),
            (settings { $0.certFile = certificates.directory + "/missing.crt" }, "failed to load cert_file"),
            (settings { $0.keyFile = certificates.caFile }, "failed to load key_file"),
            (settings {
                $0.clientAuth = .requireAndVerifyClientCert
                $0.clientCAFile = certificates.directory + "/missing-ca.crt"
            }, "failed to load client_ca_file"),
        ]
        for (settings, fragment) in cases {
            XCTAssertThrowsError(try TLSServerContext(settings: settings, logger: Logger(level: .error))) { error in
                XCTAssertTrue(String(describing: error).contains(fragment), "\(error)")
            }
        }
    }

    /// Clients that hang up mid-response must not kill the process: OpenSSL writes with write(2),
    /// which raises SIGPIPE on a closed connection unless the loop thread blocks it.
    func testClientsHangingUpMidResponse() throws {
        var configuration = HTTPServerConfiguration(listenAddresses: ["127.0.0.1:0"])
        configuration.tls = try TLSServerContext(settings: settings(), logger: Logger(level: .error))
        let body = [UInt8](repeating: 0x61, count: 8_000_000)
        let server = HTTPServer(configuration: configuration, logger: Logger(level: .error)) { request in
            request.path == "/large" ? HTTPResponse(status: 200, body: body) : .text(200, "hello")
        }
        try server.start()
        self.server = server
        let port = try XCTUnwrap(server.boundAddresses.first).port
        // Foundation's Process may ignore SIGPIPE for the whole test process; the agent does not.
        let previous = signal(SIGPIPE, SIG_DFL)
        defer { signal(SIGPIPE, previous) }

        for _ in 0..<20 {
            // curl rejects the 8 MB Content-Length and closes with unread data, so the server sees the
            // connection end while it still has megabytes to send.
            _ = try runTool("/usr/bin/curl", ["--silent", "--max-time", "10", "--cacert", certificates.caFile,
                                              "--max-filesize", "1000", "--output", "/dev/null",
                                              "https://127.0.0.1:\(port)/large"])
        }

        XCTAssertEqual(try curl(port).output, "hello\n")
    }

    func testLargeBodyOverTLS() throws {
        var configuration = HTTPServerConfiguration(listenAddresses: ["127.0.0.1:0"])
        configuration.tls = try TLSServerContext(settings: settings(), logger: Logger(level: .error))
        let body = [UInt8]((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let server = HTTPServer(configuration: configuration, logger: Logger(level: .error)) { _ in
            HTTPResponse(status: 200, body: body)
        }
        try server.start()
        self.server = server
        let port = try XCTUnwrap(server.boundAddresses.first).port

        let output = certificates.directory + "/body"
        let result = try curl(port, ["--output", output])

        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), Data(body))
    }
}

final class CertificateSummaryTests: XCTestCase {
    func testReadsSubjectAndExpiry() throws {
        let certificates = try TestCertificates()
        let settings = TLSSettings(certFile: certificates.certFile, keyFile: certificates.keyFile)
        let sink = RecordingLogSink()
        let context = try TLSServerContext(settings: settings, logger: Logger(level: .info, sink: sink))

        let summary = try XCTUnwrap(CertificateSummary(context: context.currentContext(now: 0)))

        XCTAssertEqual(summary.subject, "/CN=ember-test-server")
        // TestCertificates issues certificates valid for two days from now.
        XCTAssertEqual(Double(summary.notAfter), Date().timeIntervalSince1970 + 2 * 86_400, accuracy: 120)
        XCTAssertEqual(sink.lines(containing: "level=warn msg=\"the TLS certificate expires within 14 days").count, 1)
    }

    func testLogLevelFollowsExpiry() {
        let now: Int64 = 1_800_000_000
        let cases: [(notAfter: Int64, expected: String)] = [
            (now - 1, "level=error msg=\"the TLS certificate has expired"),
            (now + 86_400, "level=warn msg=\"the TLS certificate expires within 14 days"),
            (now + 90 * 86_400, "level=info msg=\"loaded the TLS certificate\""),
        ]
        for (notAfter, expected) in cases {
            let sink = RecordingLogSink()
            CertificateSummary(subject: "/CN=x", notAfter: notAfter)
                .log(to: Logger(level: .info, sink: sink), certFile: "/etc/ember/x.crt", now: now)

            XCTAssertEqual(sink.lines.count, 1)
            XCTAssertTrue(sink.lines.first?.contains(expected) ?? false, "\(sink.lines)")
            XCTAssertTrue(sink.lines.first?.contains("subject=\"/CN=x\"") ?? false, "\(sink.lines)")
            XCTAssertTrue(sink.lines.first?.contains("not_after=" + WallClock.iso8601(Double(notAfter))) ?? false)
        }
    }
}

extension TLSSettings {
    /// Returns a copy changed by `adjust`, for settings built inline in a test.
    func with(_ adjust: (inout TLSSettings) throws -> Void) rethrows -> TLSSettings {
        var copy = self
        try adjust(&copy)
        return copy
    }
}
