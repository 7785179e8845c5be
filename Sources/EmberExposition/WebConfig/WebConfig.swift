/// The web configuration file that Prometheus exporters share (exporter-toolkit's `--web.config.file`
/// format): TLS, extra response headers and basic-auth users.
///
/// Paths in the file are relative to the file's directory, as exporter-toolkit resolves them.
public struct WebConfig: Sendable, Equatable {
    /// TLS settings; nil serves plain HTTP.
    public var tls: TLSSettings?
    /// Headers added to every response, from `http_server_config.headers`.
    public var headers: [HTTPHeader] = []
    /// User name to bcrypt hash; empty means no authentication.
    public var basicAuthUsers: [String: String] = [:]
    /// The request rate limit of `rate_limit`; nil means none.
    public var rateLimit: RateLimit?

    public init() {}
}

/// A limit on requests to the whole server: a burst of `burst`, then one per `intervalNanoseconds`.
public struct RateLimit: Sendable, Equatable {
    public var intervalNanoseconds: UInt64
    public var burst: Int

    public init(intervalNanoseconds: UInt64, burst: Int) {
        self.intervalNanoseconds = intervalNanoseconds
        self.burst = burst
    }
}

/// TLS versions by their exporter-toolkit names.
public enum TLSVersion: String, Sendable, CaseIterable, Comparable {
    case tls10 = "TLS10"
    case tls11 = "TLS11"
    case tls12 = "TLS12"
    case tls13 = "TLS13"

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Client certificate policies, named as Go's `crypto/tls.ClientAuthType` values are.
public enum ClientAuthType: String, Sendable, CaseIterable {
    case noClientCert = "NoClientCert"
    case requestClientCert = "RequestClientCert"
    case requireAnyClientCert = "RequireAnyClientCert"
    case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
    case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

    /// Whether a client certificate is checked against `client_ca_file` or `client_ca`.
    var verifies: Bool { self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert }
    /// Whether a client without a certificate is rejected.
    var requiresCertificate: Bool { self == .requireAnyClientCert || self == .requireAndVerifyClientCert }
}

public struct TLSSettings: Sendable, Equatable {
    /// PEM certificate chain, leaf first; a relative path in the file is joined to the file's directory.
    /// Empty when `certPEM` is set.
    public var certFile: String
    /// PEM private key of the leaf certificate, resolved like `certFile`. Empty when `keyPEM` is set.
    public var keyFile: String
    /// The certificate chain given inline as `cert`, in place of `certFile`.
    public var certPEM: String?
    /// The private key given inline as `key`, in place of `keyFile`.
    public var keyPEM: String?
    /// The client CA certificates given inline as `client_ca`, in place of `clientCAFile`.
    public var clientCAPEM: String?
    public var clientAuth = ClientAuthType.noClientCert
    /// PEM CA certificates that client certificates must chain to.
    public var clientCAFile: String?
    /// When not empty, a client certificate must carry one of these subject alternative names (DNS
    /// name, IP address, e-mail address or URI), compared exactly.
    public var clientAllowedSANs: [String] = []
    public var minVersion = TLSVersion.tls12
    public var maxVersion = TLSVersion.tls13
    /// OpenSSL names of the TLS 1.2 cipher suites, translated from Go's names; empty keeps OpenSSL's list.
    public var cipherSuites: [String] = []
    /// Whether the server's order of `cipherSuites` wins over the client's.
    public var preferServerCipherSuites = true
    /// OpenSSL group names for the key exchange, translated from Go's curve names.
    public var curvePreferences: [String] = []

    public init(certFile: String, keyFile: String) {
        self.certFile = certFile
        self.keyFile = keyFile
    }
}

/// Why a web configuration file was rejected: the file, the line (0 when it does not apply) and the message.
public struct WebConfigError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let line: Int
    public let message: String

    public init(path: String, line: Int, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(path):\(line): \(message)" : "\(path): \(message)"
    }
}
