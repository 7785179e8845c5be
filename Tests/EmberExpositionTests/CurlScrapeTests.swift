import EmberCore
import Foundation
import XCTest

@testable import EmberExposition

/// Scrapes `/metrics` with the real curl, which negotiates gzip and decodes it like an HTTP client
/// library would. Without curl the tests skip, except under `CI=true`, where they fail.
final class CurlScrapeTests: XCTestCase {
    private static let curlPath = "/usr/bin/curl"
    private var server: HTTPServer?

    override func tearDown() {
        server?.stop()
        server = nil
    }

    private func startMetricsServer() throws -> (port: UInt16, cache: ExpositionCache) {
        let cache = ExpositionCache()
        cache.publish(samples: try OracleFamilies.shuffledSamples(), sequence: 1, wallTime: 0)
        var router = HTTPRouter()
        router.route("/metrics") { cache.response(for: $0) }

        let server = HTTPServer(configuration: HTTPServerConfiguration(listenAddresses: ["127.0.0.1:0"]),
                                logger: Logger(level: .error), handler: router.handle)
        try server.start()
        self.server = server
        return (try XCTUnwrap(server.boundAddresses.first).port, cache)
    }

    /// Runs curl with a 10-second limit; returns its output with the response headers first (`-D -`).
    private func curl(_ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: Self.curlPath) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail("curl is missing at \(Self.curlPath): install the Debian package curl")
                return ""
            }
            throw XCTSkip("curl is not installed at \(Self.curlPath)")
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.curlPath)
        process.arguments = ["--silent", "--show-error", "--max-time", "10", "-D", "-"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "curl \(arguments)")
        return String(decoding: data, as: UTF8.self)
    }

    func testOpenMetricsWithGzip() throws {
        let (port, _) = try startMetricsServer()

        let output = try curl(["--compressed", "-H", "Accept: application/openmetrics-text; version=1.0.0",
                               "http://127.0.0.1:\(port)/metrics"])

        XCTAssertTrue(output.contains("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n"))
        XCTAssertTrue(output.contains("Content-Encoding: gzip\r\n"))
        XCTAssertTrue(output.contains("# TYPE node_network_receive_bytes counter\n"))
        XCTAssertTrue(output.hasSuffix("\n# EOF\n"))
    }

    func testPlainScrapeGetsTextFormat() throws {
        let (port, _) = try startMetricsServer()

        let output = try curl(["http://127.0.0.1:\(port)/metrics"])
        let body = try XCTUnwrap(output.components(separatedBy: "\r\n\r\n").last)

        XCTAssertTrue(output.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        XCTAssertFalse(output.contains("Content-Encoding"))
        XCTAssertEqual(body, try OracleFamilies.text())
    }

    func testGzipTextMatchesIdentity() throws {
        let (port, _) = try startMetricsServer()

        let output = try curl(["--compressed", "http://127.0.0.1:\(port)/metrics"])
        let body = try XCTUnwrap(output.components(separatedBy: "\r\n\r\n").last)

        XCTAssertTrue(output.contains("Content-Encoding: gzip\r\n"))
        XCTAssertEqual(body, try OracleFamilies.text())
    }

    func testKeepAliveAcrossTwoURLs() throws {
        let (port, _) = try startMetricsServer()
        let url = "http://127.0.0.1:\(port)/metrics"

        let output = try curl(["--head", "--write-out", "new connections: %{num_connects}\n", url, url])

        XCTAssertTrue(output.contains("new connections: 1\n"), output)
        XCTAssertTrue(output.contains("new connections: 0\n"), "second request reused the connection: \(output)")
    }
}
