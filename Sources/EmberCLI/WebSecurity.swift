import EmberCore
import EmberExposition

/// Applies `--web.config.file` to the HTTP server: the TLS context, basic auth in front of every route
/// and the configured response headers.
enum WebSecurity {
    /// Loads the libraries the configuration needs, OpenSSL for `tls_server_config` and libxcrypt for
    /// `basic_auth_users`, so a missing one stops start-up instead of failing the first handshake or login.
    static func loadLibraries(_ config: WebConfig?) throws(LibraryLoadError) {
        guard let config else { return }

        if config.tls != nil {
            try OpenSSLLibrary.load()
        }
        if !config.basicAuthUsers.isEmpty {
            try LibxcryptLibrary.load()
        }
    }

    /// Loads the certificate and key; nil without `tls_server_config`.
    static func tlsContext(_ config: WebConfig?, logger: Logger) throws(TLSSetupError) -> TLSServerContext? {
        guard let settings = config?.tls else { return nil }
        return try TLSServerContext(settings: settings, logger: logger)
    }

    /// Wraps `handler` with the rate limit and the authentication check, and adds the configured headers
    /// to every response, 401s and 429s included.
    static func handler(
        _ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse, config: WebConfig?, logger: Logger
    ) -> @Sendable (HTTPRequest) -> HTTPResponse {
        guard let config else { return handler }

        let authenticated = BasicAuthenticator(users: config.basicAuthUsers, logger: logger).protecting(handler)
        let protected = config.rateLimit.map { RequestRateLimiter($0).limiting(authenticated) } ?? authenticated
        let headers = config.headers
        guard !headers.isEmpty else { return protected }
        return { request in
            var response = protected(request)
            response.headers += headers
            return response
        }
    }
}
