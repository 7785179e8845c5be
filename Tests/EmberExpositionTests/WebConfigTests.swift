import EmberCore
import EmberTestSupport
import XCTest

@testable import EmberExposition

/// The web configuration file: the YAML subset, exporter-toolkit's keys and the errors for everything else.
final class WebConfigTests: XCTestCase {
    private let hash = "$2b$10$rLu7nmozwo423Y.e25pPCeRH3wzlKizx0iLeX1U9SPLY8F/4Fcn3."

    private func parse(_ text: String, path: String = "/etc/ember/web.yml") throws -> WebConfig {
        try WebConfig.parse(text, path: path)
    }

    /// Returns the error that parsing `text` throws, failing the test when it parses.
    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> WebConfigError? {
        do {
            _ = try parse(text)
            XCTFail("parsed without error", file: file, line: line)
            return nil
        } catch let error as WebConfigError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    func testFullFile() throws {
        let config = try parse("""
            ---
            # comment
            tls_server_config:
              cert_file: server.crt   # relative to the file
              key_file: "/keys/server.key"
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: 'ca.crt'
              client_allowed_sans:
                - scraper.example
                - "10.0.0.2"
              min_version: TLS13
              cipher_suites:
                - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
              prefer_server_cipher_suites: false
              curve_preferences: [X25519, CurveP256]
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: deny
                Strict-Transport-Security: max-age=31536000
            basic_auth_users:
              alice: \(hash)
            """)

        let tls = try XCTUnwrap(config.tls)
        XCTAssertEqual(tls.certFile, "/etc/ember/server.crt")
        XCTAssertEqual(tls.keyFile, "/keys/server.key")
        XCTAssertEqual(tls.clientAuth, .requireAndVerifyClientCert)
        XCTAssertEqual(tls.clientCAFile, "/etc/ember/ca.crt")
        XCTAssertEqual(tls.clientAllowedSANs, ["scraper.example", "10.0.0.2"])
        XCTAssertEqual(tls.minVersion, .tls13)
        XCTAssertEqual(tls.maxVersion, .tls13)
        XCTAssertEqual(tls.cipherSuites, ["ECDHE-RSA-AES128-GCM-SHA256"])
        XCTAssertFalse(tls.preferServerCipherSuites)
        XCTAssertEqual(tls.curvePreferences, ["X25519", "P-256"])
        XCTAssertEqual(config.headers, [HTTPHeader("X-Frame-Options", "deny"),
                                        HTTPHeader("Strict-Transport-Security", "max-age=31536000")])
        XCTAssertEqual(config.basicAuthUsers, ["alice": hash])
    }

    func testDefaultsWithCertificateOnly() throws {
        let tls = try XCTUnwrap(try parse("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n",
                                          path: "web.yml").tls)

        XCTAssertEqual(tls.certFile, "./a.crt")
        XCTAssertEqual(tls.minVersion, .tls12)
        XCTAssertEqual(tls.maxVersion, .tls13)
        XCTAssertEqual(tls.clientAuth, .noClientCert)
        XCTAssertTrue(tls.preferServerCipherSuites)
    }

    func testEmptyFileAndSectionsServePlainHTTP() throws {
        XCTAssertEqual(try parse(""), WebConfig())
        XCTAssertEqual(try parse("# only a comment\n"), WebConfig())
        XCTAssertEqual(try parse("tls_server_config:\nbasic_auth_users: {}\n"), WebConfig())
    }

    func testUnknownKeysNameKeyAndLine() throws {
        let top = error("basic_auth_users:\n  alice: \(hash)\ntls_config:\n  cert_file: a\n")
        XCTAssertEqual(top?.line, 3)
        XCTAssertTrue(top?.message.contains("unknown key \"tls_config\"") ?? false, "\(String(describing: top))")

        let nested = error("tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n")
        XCTAssertEqual(nested?.line, 4)
        XCTAssertTrue(nested?.message.contains("unknown key \"certfile\" in tls_server_config") ?? false)

        let header = error("http_server_config:\n  headers:\n    X-Powered-By: ember\n")
        XCTAssertEqual(header?.line, 3)
        XCTAssertTrue(header?.description.hasPrefix("/etc/ember/web.yml:3: unknown key \"X-Powered-By\"") ?? false)
    }

    func testInvalidValuesAreErrors() throws {
        let cases: [(text: String, line: Int, fragment: String)] = [
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n", 4, "invalid min_version"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
             5, "below min_version"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n", 4,
             "invalid client_auth_type"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n", 4, "does not verify"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
             4, "needs client_ca_file"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", 4,
             "unsupported cipher suite"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P256]\n", 4,
             "unsupported curve"),
            ("tls_server_config:\n  cert_file: a\n", 1, "needs key_file or key"),
            ("tls_server_config:\n  cert: |\n    PEM\n  key_file: b\n", 2, "cert is not PEM text"),
            ("tls_server_config:\n  cert: >\n    PEM\n  key_file: b\n", 2, "folded block scalars"),
            ("tls_server_config:\n  cert: |x\n    PEM\n  key_file: b\n", 2, "unsupported block scalar header"),
            ("tls_server_config:\n  cert: |\n      a\n    b\n  key_file: b\n", 4, "less indented"),
            ("tls_server_config:\n  cert_file: a\n  cert: |\n    -----BEGIN X\n  key_file: b\n", 3,
             "both cert and cert_file are set"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca: |\n    -----BEGIN X\n", 4,
             "client_ca is set but client_auth_type NoClientCert"),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [x]\n", 4,
             "client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert"),
            ("http_server_config:\n  http2: yes\n", 2, "expected true or false"),
            ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", 3, "expected deny or sameorigin"),
            ("basic_auth_users:\n  alice: secret\n", 2, "not a bcrypt hash"),
            ("basic_auth_users:\n  alice: \(hash)\n  alice: \(hash)\n", 3, "duplicate key \"alice\""),
            ("rate_limit:\n  interval: 1s\n  burst: 0\n", 3, "burst of at least 1"),
            ("rate_limit:\n  interval: soon\n  burst: 2\n", 2, "invalid interval \"soon\""),
            ("rate_limit:\n  interval: 1s\n  burst: -1\n", 3, "invalid burst \"-1\""),
            ("rate_limit:\n  period: 1s\n", 2, "unknown key \"period\" in rate_limit"),
            ("tls_server_config:\n\tcert_file: a\n", 2, "tab in indentation"),
            ("tls_server_config:\n  cert_file: a\n   key_file: b\n", 3, "unexpected indentation"),
            ("basic_auth_users: &users\n", 1, "anchors, aliases and tags"),
            ("tls_server_config:\n  cert_file: \"a\n", 2, "unterminated double-quoted"),
            ("just text\n", 1, "expected \"key: value\""),
            ("a: 1\n---\nb: 2\n", 2, "more than one YAML document"),
        ]
        for (text, line, fragment) in cases {
            let error = error(text)
            XCTAssertEqual(error?.line, line, text)
            XCTAssertTrue(error?.message.contains(fragment) ?? false, "\(text): \(String(describing: error))")
        }
    }

    func testRateLimit() throws {
        XCTAssertEqual(try parse("rate_limit:\n  interval: 250ms\n  burst: 20\n").rateLimit,
                       RateLimit(intervalNanoseconds: 250_000_000, burst: 20))
        // exporter-toolkit turns the limiter off with a zero interval, whatever the burst.
        XCTAssertNil(try parse("rate_limit:\n  interval: 0\n  burst: 0\n").rateLimit)
        XCTAssertNil(try parse("rate_limit:\n  burst: 20\n").rateLimit)
    }

    func testClientAuthAliases() throws {
        let base = "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
        XCTAssertEqual(try parse(base + "RequireClientCert\n").tls?.clientAuth, .requireAnyClientCert)
        XCTAssertEqual(try parse(base + "''\n").tls?.clientAuth, .noClientCert)
    }

    func testQuotedScalars() throws {
        let node = try YAMLSubsetParser.parse("""
            a: 'it''s # not a comment'
            b: "tab\\there \\"quoted\\""
            c: plain value with spaces # comment
            "d:e": x
            """)

        guard case .mapping(let entries, _) = node else { return XCTFail("expected a mapping, got \(node)") }
        XCTAssertEqual(entries.map(\.key), ["a", "b", "c", "d:e"])
        XCTAssertEqual(entries[0].value, .scalar("it's # not a comment", line: 1))
        XCTAssertEqual(entries[1].value, .scalar("tab\there \"quoted\"", line: 2))
        XCTAssertEqual(entries[2].value, .scalar("plain value with spaces", line: 3))
    }

    func testInlinePEM() throws {
        let config = try parse("""
            tls_server_config:
              cert: |
                -----BEGIN CERTIFICATE-----
                MIIB # not a comment inside a block

                -----END CERTIFICATE-----
              key: |-
                -----BEGIN PRIVATE KEY-----
                -----END PRIVATE KEY-----
              client_auth_type: RequireAndVerifyClientCert
              client_ca: |+
                -----BEGIN CERTIFICATE-----

            basic_auth_users: {}
            """)

        let tls = try XCTUnwrap(config.tls)
        XCTAssertEqual(tls.certPEM, "-----BEGIN CERTIFICATE-----\nMIIB # not a comment inside a block\n\n"
                       + "-----END CERTIFICATE-----\n")
        XCTAssertEqual(tls.certFile, "")
        XCTAssertEqual(tls.keyPEM, "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----")
        XCTAssertEqual(tls.clientCAPEM, "-----BEGIN CERTIFICATE-----\n\n")
        XCTAssertNil(tls.clientCAFile)
    }

    func testSequenceAtKeyIndentation() throws {
        let tls = try XCTUnwrap(try parse("""
            tls_server_config:
              cert_file: a
              key_file: b
              cipher_suites:
              - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
              - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305
            """).tls)

        XCTAssertEqual(tls.cipherSuites, ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"])
    }

    func testLoadReportsUnreadableAndNonUTF8Files() throws {
        let missing = "/nonexistent-ember-dir/web.yml"
        XCTAssertThrowsError(try WebConfig.load(path: missing)) { error in
            let description = String(describing: error)
            XCTAssertTrue(description.hasPrefix(missing + ": cannot read the file"), description)
        }

        let path = NSTemporaryDirectory() + "ember-web-config-\(getpid()).yml"
        defer { unlink(path) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data([0x61, 0x3A, 0x20, 0xFF, 0x0A])))
        XCTAssertThrowsError(try WebConfig.load(path: path)) { error in
            XCTAssertEqual((error as? WebConfigError)?.message, "the file is not valid UTF-8")
        }
    }

    /// Mutated files must parse or throw, never crash or hang: bytes are replaced, inserted and deleted
    /// at random positions of a full configuration, with a fixed seed so a failure repeats.
    func testMutatedFilesNeverCrash() throws {
        let original = Array("""
            tls_server_config:
              cert: |
                -----BEGIN CERTIFICATE-----
                MIIB
              key_file: 'b.key'
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: "ca.crt"
              client_allowed_sans: [a, "b"]
              cipher_suites:
              - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
            http_server_config:
              headers: {}
            basic_auth_users:
              alice: \(hash)
            """.utf8)
        let alphabet = Array(" \t\n:-|'\"#[]{},&*!>x\u{FF}".utf8)
        var generator = SplitMix64(seed: 0x5EED)
        var parsed = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                let byte = alphabet.randomElement(using: &generator)!
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: bytes.remove(at: position)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if (try? WebConfig.parse(text, path: "/etc/ember/web.yml")) != nil { parsed += 1 }
        }
        // Some mutations land in values or comments and still parse, so both outcomes are exercised.
        XCTAssertGreaterThan(parsed, 0)
        XCTAssertLessThan(parsed, 3000)
    }

    /// The example shipped in exporters/ parses, and its hash really is that of the password it names.
    func testShippedExample() throws {
        let path = Fixtures.directory + "/../../exporters/web-config.example.yml"
        let config = try WebConfig.load(path: path)

        let tls = try XCTUnwrap(config.tls)
        XCTAssertTrue(tls.certFile.hasSuffix("/exporters/ember.crt"), tls.certFile)
        XCTAssertEqual(tls.minVersion, .tls12)
        XCTAssertEqual(config.headers.map(\.name), ["X-Content-Type-Options", "X-Frame-Options"])
        let hash = try XCTUnwrap(config.basicAuthUsers["prometheus"])
        try LibxcryptLibrary.load()
        XCTAssertTrue(Bcrypt.verify(password: "change-me", hash: hash))
    }
}
