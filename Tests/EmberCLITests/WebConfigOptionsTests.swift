import EmberCore
import EmberExposition
import Foundation
import XCTest

@testable import EmberCLI

/// `--web.config.file` on the command line: a broken file stops start-up with exit status 2.
final class WebConfigOptionsTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "ember-web-options-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ text: String) throws -> String {
        let path = directory + "/web.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testValidFileIsLoaded() throws {
        let path = try write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")

        let options = try EmberMain.options(["--web.config.file=\(path)"])

        XCTAssertEqual(options.webConfig?.tls?.certFile, directory + "/server.crt")
    }

    func testNoFileMeansPlainHTTP() throws {
        XCTAssertNil(try EmberMain.options([]).webConfig)
    }

    func testUnknownKeyIsUsageErrorWithLine() throws {
        let path = try write("tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_fiel: c\n")

        XCTAssertThrowsError(try EmberMain.options(["--web.config.file", path])) { error in
            let message = (error as? UsageError)?.message ?? "\(error)"
            XCTAssertEqual(message, "invalid --web.config.file: \(path):4: unknown key \"cert_fiel\" in "
                           + "tls_server_config; expected cert, cert_file, key, key_file, client_auth_type, client_ca, "
                           + "client_ca_file, client_allowed_sans, min_version, max_version, cipher_suites, "
                           + "prefer_server_cipher_suites, curve_preferences")
        }
    }

    /// Runs `ember` with standard error sent to a file; returns the exit status and what was written there.
    private func runCapturingErrors(_ arguments: [String]) throws -> (status: Int32, errors: String) {
        let path = directory + "/stderr"
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let saved = dup(2)
        dup2(file, 2)
        let status = EmberMain.run(arguments)
        dup2(saved, 2)
        close(saved)
        close(file)
        return (status, try String(contentsOfFile: path, encoding: .utf8))
    }

    func testServeExitsWithUsageStatus() throws {
        let broken = try write("basic_auth_users:\n  alice: plaintext\n")
        let invalid = try runCapturingErrors(["serve", "--web.config.file=\(broken)", "--log.level=error"])
        XCTAssertEqual(invalid.status, 2)
        XCTAssertTrue(invalid.errors.contains("web.yml:2: the password of user \"alice\" is not a bcrypt hash"),
                      invalid.errors)

        // The file parses, but the certificate it names does not exist: the agent must not fall back to
        // plain HTTP.
        let missing = try write("tls_server_config:\n  cert_file: none.crt\n  key_file: none.key\n")
        let unloadable = try runCapturingErrors(["serve", "--web.config.file=\(missing)", "--log.level=error",
                                                 "--web.listen-address=127.0.0.1:0", "--no-storage"])
        XCTAssertEqual(unloadable.status, 2)
        XCTAssertTrue(unloadable.errors.contains("failed to load cert_file \(directory!)/none.crt"), unloadable.errors)
    }

    /// The rate limit runs before authentication, and the configured headers reach every response.
    func testHandlerOrder() throws {
        var config = WebConfig()
        config.headers = [HTTPHeader("X-Frame-Options", "deny")]
        config.rateLimit = RateLimit(intervalNanoseconds: 3_600_000_000_000, burst: 2)
        config.basicAuthUsers = ["alice": "$2b$04$abcdefghijklmnopqrstuuJXbVbRqz5sd4N0b0p3B9lU6cQ0jvkdq"]
        let handler = WebSecurity.handler({ _ in .text(200, "ok") }, config: config, logger: Logger(level: .error))
        let request = HTTPRequest(method: "GET", target: "/metrics")

        let statuses = (0..<3).map { _ in handler(request) }

        XCTAssertEqual(statuses.map(\.status), [401, 401, 429])
        for response in statuses {
            XCTAssertTrue(response.headers.contains(HTTPHeader("X-Frame-Options", "deny")), "\(response.headers)")
        }
    }

    func testHelpListsFlag() throws {
        XCTAssertTrue(Help.command("serve")?.contains("--web.config.file") ?? false)
    }

    /// The flag's default is empty (plain HTTP), which help must print as "none", not as "Default: .".
    func testHelpShowsEmptyDefaultAsNone() throws {
        let help = try XCTUnwrap(Help.command("serve"))

        XCTAssertTrue(help.contains("enables TLS and basic auth. Default: none.\n"), help)
        XCTAssertFalse(help.contains("Default: .\n"), help)
    }
}
