import COpenSSL

/// Builds an OpenSSL `SSL_CTX` from ``TLSSettings``; every failure names the setting and file involved.
enum TLSContextBuilder {
    static func build(_ settings: TLSSettings) throws(TLSSetupError) -> OpaquePointer {
        openSSL.ERR_clear_error()
        guard let context = openSSL.SSL_CTX_new(openSSL.TLS_server_method()) else {
            throw TLSSetupError(message: "failed to create a TLS context: \(openSSLErrors())")
        }
        do throws(TLSSetupError) {
            try configureProtocol(context, settings)
            try loadCertificate(context, settings)
            try configureClientAuth(context, settings)
            return context
        } catch {
            openSSL.SSL_CTX_free(context)
            throw error
        }
    }

    private static func configureProtocol(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSSetupError) {
        guard ember_ssl_ctx_set_min_proto_version(context, protocolVersion(settings.minVersion)) == 1,
              ember_ssl_ctx_set_max_proto_version(context, protocolVersion(settings.maxVersion)) == 1
        else {
            throw TLSSetupError(message: "OpenSSL rejected min_version \(settings.minVersion.rawValue) or "
                                + "max_version \(settings.maxVersion.rawValue): \(openSSLErrors())")
        }
        ember_ssl_ctx_set_modes(context)
        ember_ssl_ctx_disable_session_cache(context)
        ember_ssl_ctx_set_server_options(context, settings.preferServerCipherSuites ? 1 : 0)

        if !settings.cipherSuites.isEmpty,
           openSSL.SSL_CTX_set_cipher_list(context, settings.cipherSuites.joined(separator: ":")) != 1 {
            throw TLSSetupError(message: "OpenSSL supports none of cipher_suites: \(openSSLErrors())")
        }
        if !settings.curvePreferences.isEmpty,
           ember_ssl_ctx_set_groups_list(context, settings.curvePreferences.joined(separator: ":")) != 1 {
            throw TLSSetupError(message: "OpenSSL rejected curve_preferences: \(openSSLErrors())")
        }
    }

    private static func loadCertificate(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSSetupError) {
        if let certificate = settings.certPEM {
            try InlinePEM.useCertificateChain(certificate, in: context)
        } else {
            try loadCertificateFile(context, settings)
        }
        if let key = settings.keyPEM {
            try InlinePEM.usePrivateKey(key, in: context)
        } else {
            try loadKeyFile(context, settings)
        }
        guard openSSL.SSL_CTX_check_private_key(context) == 1 else {
            throw TLSSetupError(message: "the key does not match the certificate: \(openSSLErrors())")
        }
    }

    private static func loadCertificateFile(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSSetupError) {
        guard openSSL.SSL_CTX_use_certificate_chain_file(context, settings.certFile) == 1 else {
            throw TLSSetupError(message: "failed to load cert_file \(settings.certFile) as a PEM certificate "
                                + "chain: \(openSSLErrors())")
        }
    }

    private static func loadKeyFile(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSSetupError) {
        guard openSSL.SSL_CTX_use_PrivateKey_file(context, settings.keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw TLSSetupError(message: "failed to load key_file \(settings.keyFile) as the unencrypted PEM "
                                + "private key of the certificate: \(openSSLErrors())")
        }
    }

    private static func configureClientAuth(_ context: OpaquePointer, _ settings: TLSSettings) throws(TLSSetupError) {
        let type = settings.clientAuth
        guard type != .noClientCert else { return }

        if let caText = settings.clientCAPEM {
            try InlinePEM.useClientCAs(caText, in: context)
        } else if let caFile = settings.clientCAFile {
            guard openSSL.SSL_CTX_load_verify_locations(context, caFile, nil) == 1,
                  let names = openSSL.SSL_load_client_CA_file(caFile) else {
                throw TLSSetupError(message: "failed to load client_ca_file \(caFile) as PEM CA certificates: "
                                    + openSSLErrors())
            }
            openSSL.SSL_CTX_set_client_CA_list(context, names)
        }

        // Sessions resumed by a client must come from this server's context, which OpenSSL checks by this
        // ID whenever client certificates are requested.
        let sessionID = Array("ember".utf8)
        _ = openSSL.SSL_CTX_set_session_id_context(context, sessionID, UInt32(sessionID.count))

        var mode = SSL_VERIFY_PEER
        if type.requiresCertificate { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
        // Without verification, Go's RequestClientCert and RequireAnyClientCert accept any certificate.
        openSSL.SSL_CTX_set_verify(context, mode, type.verifies ? nil : { _, _ in 1 })
    }

    private static func protocolVersion(_ version: TLSVersion) -> Int32 {
        switch version {
        case .tls10: TLS1_VERSION
        case .tls11: TLS1_1_VERSION
        case .tls12: TLS1_2_VERSION
        case .tls13: TLS1_3_VERSION
        }
    }
}

/// Drains this thread's OpenSSL error queue into one line, oldest first.
func openSSLErrors() -> String {
    var messages: [String] = []
    while true {
        let code = openSSL.ERR_get_error()
        if code == 0 { break }
        var text = [CChar](repeating: 0, count: 256)
        openSSL.ERR_error_string_n(code, &text, text.count)
        messages.append(text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }
    return messages.isEmpty ? "no OpenSSL error reported" : messages.joined(separator: "; ")
}
