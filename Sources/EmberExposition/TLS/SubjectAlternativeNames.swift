#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL

/// Reads the subject alternative names of a certificate as exporter-toolkit compares them with
/// `client_allowed_sans`: DNS names, e-mail addresses and URIs as written, IP addresses in the text
/// form of Go's `net.IP.String` (dotted IPv4, compressed IPv6), which `inet_ntop` also produces.
enum SubjectAlternativeNames {
    static func of(_ certificate: OpaquePointer) -> [String] {
        guard let extensionData = openSSL.X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else {
            return []
        }
        let stack = OpaquePointer(extensionData)
        defer { openSSL.GENERAL_NAMES_free(stack) }

        var names: [String] = []
        for index in 0..<openSSL.OPENSSL_sk_num(stack) {
            guard let raw = openSSL.OPENSSL_sk_value(stack, index) else { continue }
            if let name = text(of: raw.assumingMemoryBound(to: GENERAL_NAME.self).pointee) {
                names.append(name)
            }
        }
        return names
    }

    private static func text(of name: GENERAL_NAME) -> String? {
        switch name.type {
        case GEN_DNS: return string(name.d.dNSName)
        case GEN_EMAIL: return string(name.d.rfc822Name)
        case GEN_URI: return string(name.d.uniformResourceIdentifier)
        case GEN_IPADD: return address(name.d.iPAddress)
        default: return nil
        }
    }

    private static func string(_ value: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let value, let data = openSSL.ASN1_STRING_get0_data(value) else { return nil }
        let bytes = UnsafeBufferPointer(start: data, count: Int(openSSL.ASN1_STRING_length(value)))
        return String(validating: bytes, as: UTF8.self)
    }

    private static func address(_ value: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let value, let data = openSSL.ASN1_STRING_get0_data(value) else { return nil }
        let length = Int(openSSL.ASN1_STRING_length(value))
        let family: Int32
        switch length {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, data, &text, socklen_t(text.count)) != nil else { return nil }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
