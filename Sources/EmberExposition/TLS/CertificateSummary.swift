#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL
import EmberCore

/// The subject and expiry of the certificate a TLS context serves, logged when it is loaded so an
/// operator sees which certificate is live and when it runs out.
struct CertificateSummary: Equatable {
    /// Time before expiry from which loading logs a warning.
    static let warningWindowSeconds: Int64 = 14 * 86_400

    let subject: String
    /// Seconds since the Unix epoch.
    let notAfter: Int64

    init(subject: String, notAfter: Int64) {
        self.subject = subject
        self.notAfter = notAfter
    }

    /// Reads the leaf certificate of `context`; nil when there is none or its dates are unreadable.
    init?(context: OpaquePointer) {
        guard let certificate = openSSL.SSL_CTX_get0_certificate(context),
              let expiry = openSSL.X509_get0_notAfter(certificate)
        else { return nil }

        var parts = tm()
        guard openSSL.ASN1_TIME_to_tm(expiry, &parts) == 1 else { return nil }
        notAfter = Int64(timegm(&parts))

        var text = [CChar](repeating: 0, count: 512)
        _ = openSSL.X509_NAME_oneline(openSSL.X509_get_subject_name(certificate), &text, Int32(text.count))
        subject = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Logs the certificate at info, or at warn within two weeks of expiry, or at error once expired.
    func log(to logger: Logger, certFile: String, now: Int64) {
        let subject = ("subject", subject)
        let expiry = ("not_after", WallClock.iso8601(Double(notAfter)))
        let file = ("cert_file", certFile)
        if notAfter <= now {
            logger.error("the TLS certificate has expired, so clients that verify it fail. Renew it",
                         subject, expiry, file)
        } else if notAfter - now <= Self.warningWindowSeconds {
            logger.warn("the TLS certificate expires within 14 days. Renew it", subject, expiry, file)
        } else {
            logger.info("loaded the TLS certificate", subject, expiry, file)
        }
    }
}
