import COpenSSL

/// Loads PEM text given inline in the web configuration (`cert`, `key`, `client_ca`) into a context,
/// as the `*_file` settings load files.
enum InlinePEM {
    /// Installs the first certificate as the leaf and the rest as its chain.
    static func useCertificateChain(_ text: String, in context: OpaquePointer) throws(TLSSetupError) {
        let certificates = try readCertificates(text, setting: "cert")
        guard openSSL.SSL_CTX_use_certificate(context, certificates[0]) == 1 else {
            certificates.forEach { openSSL.X509_free($0) }
            throw TLSSetupError(message: "failed to use the inline cert: \(openSSLErrors())")
        }
        openSSL.X509_free(certificates[0])
        for (index, intermediate) in certificates.enumerated().dropFirst() {
            guard ember_ssl_ctx_add0_chain_cert(context, intermediate) == 1 else {
                certificates[index...].forEach { openSSL.X509_free($0) }
                throw TLSSetupError(message: "failed to add certificate \(index + 1) of the inline cert to the chain: "
                                    + openSSLErrors())
            }
        }
    }

    static func usePrivateKey(_ text: String, in context: OpaquePointer) throws(TLSSetupError) {
        let key = withBIO(text) { openSSL.PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        guard let key else {
            throw TLSSetupError(message: "failed to read the inline key as an unencrypted PEM private key: "
                                + openSSLErrors())
        }
        defer { openSSL.EVP_PKEY_free(key) }
        guard openSSL.SSL_CTX_use_PrivateKey(context, key) == 1 else {
            throw TLSSetupError(message: "the inline key does not match the certificate: \(openSSLErrors())")
        }
    }

    /// Trusts each certificate for client verification and names it in the CertificateRequest.
    static func useClientCAs(_ text: String, in context: OpaquePointer) throws(TLSSetupError) {
        let store = openSSL.SSL_CTX_get_cert_store(context)
        for certificate in try readCertificates(text, setting: "client_ca") {
            defer { openSSL.X509_free(certificate) }
            guard openSSL.X509_STORE_add_cert(store, certificate) == 1,
                  openSSL.SSL_CTX_add_client_CA(context, certificate) == 1
            else {
                throw TLSSetupError(message: "failed to trust a certificate of the inline client_ca: "
                                    + openSSLErrors())
            }
        }
    }

    /// Reads every certificate in `text`; throws when there is none. The caller frees them.
    private static func readCertificates(_ text: String, setting: String) throws(TLSSetupError) -> [OpaquePointer] {
        let certificates = withBIO(text) { bio in
            var read: [OpaquePointer] = []
            while let certificate = openSSL.PEM_read_bio_X509(bio, nil, nil, nil) {
                read.append(certificate)
            }
            return read
        }
        // Reading stops at the end of the text with a "no start line" error, which is expected there.
        let errors = openSSLErrors()
        guard !certificates.isEmpty else {
            throw TLSSetupError(message: "failed to read the inline \(setting) as PEM certificates: \(errors)")
        }
        return certificates
    }

    private static func withBIO<Result>(_ text: String, _ body: (OpaquePointer) -> Result) -> Result {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer in
            let bio = openSSL.BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count))!
            defer { _ = openSSL.BIO_free(bio) }
            return body(bio)
        }
    }
}
