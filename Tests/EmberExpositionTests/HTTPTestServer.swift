import EmberCore
import XCTest

@testable import EmberExposition

/// Starts servers on ephemeral loopback ports with routes for the HTTP tests: `/echo` (method and target),
/// `/big` (8 MiB of "x") and `/huge` (32 MiB). The huge body is more than loopback socket buffers take,
/// because Linux caps them at a few MiB each way by default.
enum HTTPTestServer {
    static let bigBody = [UInt8](repeating: UInt8(ascii: "x"), count: 8 << 20)
    static let hugeBody = [UInt8](repeating: 0, count: 32 << 20)

    static func start(logger: Logger = Logger(level: .error), _ adjust: (inout HTTPServerConfiguration) -> Void)
        throws -> (server: HTTPServer, port: UInt16)
    {
        var configuration = HTTPServerConfiguration(listenAddresses: ["127.0.0.1:0"])
        adjust(&configuration)

        var router = HTTPRouter()
        router.route("/echo") { request in
            .text(200, "\(request.method) \(request.target)")
        }
        router.route("/big") { _ in HTTPResponse(status: 200, body: bigBody) }
        router.route("/huge") { _ in HTTPResponse(status: 200, body: hugeBody) }

        let server = HTTPServer(configuration: configuration, logger: logger, handler: router.handle)
        try server.start()
        return (server, try XCTUnwrap(server.boundAddresses.first).port)
    }

    /// Returns a GET request for `path` with a Host header and the `extra` header lines.
    static func get(_ path: String, extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: test\r\n\(extra)\r\n"
    }
}

/// A test case that starts one server per test with ``HTTPTestServer`` and stops it after the test.
class HTTPServerTestCase: XCTestCase {
    var server: HTTPServer?

    override func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    func startServer(logger: Logger = Logger(level: .error),
                     _ adjust: (inout HTTPServerConfiguration) -> Void = { _ in }) throws -> UInt16 {
        let (server, port) = try HTTPTestServer.start(logger: logger, adjust)
        self.server = server
        return port
    }

    func get(_ path: String, extra: String = "") -> String {
        HTTPTestServer.get(path, extra: extra)
    }
}
