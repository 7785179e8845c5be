import EmberCore

extension WebConfig {
    /// Upper bound on the file's size, far above any real configuration, so a wrong path such as a
    /// device node cannot make start-up read without end.
    static let maxFileBytes = 1 << 20

    /// Reads and validates the file at `path`. Every unknown key and invalid value is an error naming
    /// the key and its line, so a typo never silently turns TLS or authentication off.
    public static func load(path: String, fileSystem: any FileSystem = SystemFileSystem()) throws(WebConfigError)
        -> WebConfig
    {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.readFile(path, limit: maxFileBytes)
        } catch {
            throw WebConfigError(path: path, line: 0, message: "cannot read the file: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw WebConfigError(path: path, line: 0, message: "the file is not valid UTF-8")
        }
        return try parse(text, path: path)
    }

    /// Parses configuration text; `path` names the file in errors and anchors relative paths.
    public static func parse(_ text: String, path: String) throws(WebConfigError) -> WebConfig {
        do throws(YAMLError) {
            var decoder = WebConfigDecoder(directory: directory(of: path))
            return try decoder.decode(try YAMLSubsetParser.parse(text))
        } catch {
            throw WebConfigError(path: path, line: error.line, message: error.message)
        }
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Turns the parsed YAML into a ``WebConfig``, throwing ``YAMLError`` with the offending key's line.
private struct WebConfigDecoder {
    let directory: String

    /// The headers exporter-toolkit lets `http_server_config.headers` set, with their allowed values
    /// (nil: any value).
    static let allowedHeaders: [String: Set<String>?] = [
        "Content-Security-Policy": nil,
        "X-Frame-Options": ["deny", "sameorigin"],
        "X-Content-Type-Options": ["nosniff"],
        "X-XSS-Protection": nil,
        "Strict-Transport-Security": nil,
    ]

    mutating func decode(_ root: YAMLNode) throws(YAMLError) -> WebConfig {
        var config = WebConfig()
        if case .empty = root { return config }
        for entry in try mapping(root, name: "the file") {
            switch entry.key {
            case "tls_server_config": config.tls = try decodeTLS(entry)
            case "http_server_config": config.headers = try decodeHTTPServer(entry)
            case "basic_auth_users": config.basicAuthUsers = try decodeUsers(entry)
            case "rate_limit": config.rateLimit = try decodeRateLimit(entry)
            default:
                throw unknownKey(entry, in: "the top level",
                                 known: ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"])
            }
        }
        return config
    }

    private func decodeHTTPServer(_ parent: YAMLEntry) throws(YAMLError) -> [HTTPHeader] {
        var headers: [HTTPHeader] = []
        for entry in try mapping(parent.value, name: parent.key) {
            switch entry.key {
            case "http2":
                // HTTP/2 is never offered. That is what `http2: false` requests and a valid outcome of `true`.
                _ = try boolean(entry)
            case "headers":
                headers = try decodeHeaders(entry)
            default:
                throw unknownKey(entry, in: parent.key, known: ["headers", "http2"])
            }
        }
        return headers
    }

    private func decodeHeaders(_ parent: YAMLEntry) throws(YAMLError) -> [HTTPHeader] {
        var headers: [HTTPHeader] = []
        for entry in try mapping(parent.value, name: parent.key) {
            guard let allowed = Self.allowedHeaders[entry.key] else {
                throw unknownKey(entry, in: "headers", known: Self.allowedHeaders.keys.sorted())
            }
            let value = try scalar(entry)
            if value.isEmpty { continue }
            if let allowed, !allowed.contains(value.lowercased()) {
                throw YAMLError(line: entry.line, message: "invalid \(entry.key) \"\(value)\": expected "
                                + allowed.sorted().joined(separator: " or "))
            }
            guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw YAMLError(line: entry.line, message: "invalid \(entry.key): a header value is one line")
            }
            headers.append(HTTPHeader(entry.key, value))
        }
        return headers
    }

    /// Reads `interval` (a duration; 0 turns the limit off, as in exporter-toolkit) and `burst`.
    private func decodeRateLimit(_ parent: YAMLEntry) throws(YAMLError) -> RateLimit? {
        var interval: UInt64 = 0
        var burst = 0
        var burstLine = parent.line
        for entry in try mapping(parent.value, name: parent.key) {
            switch entry.key {
            case "interval": interval = try nanoseconds(entry)
            case "burst":
                let text = try scalar(entry)
                guard let value = Int(text), value >= 0 else {
                    throw YAMLError(line: entry.line, message: "invalid burst \"\(text)\": expected a whole number")
                }
                burst = value
                burstLine = entry.line
            default:
                throw unknownKey(entry, in: parent.key, known: ["interval", "burst"])
            }
        }
        guard interval > 0 else { return nil }
        // Go's limiter would then reject every request, which no configuration means to do.
        guard burst > 0 else {
            throw YAMLError(line: burstLine, message: "rate_limit needs a burst of at least 1 with a non-zero interval")
        }
        return RateLimit(intervalNanoseconds: interval, burst: burst)
    }

    private func nanoseconds(_ entry: YAMLEntry) throws(YAMLError) -> UInt64 {
        let text = try scalar(entry)
        if text == "0" { return 0 }
        guard let seconds = DurationParser.seconds(text), seconds >= 0, seconds < 1e9 else {
            throw YAMLError(line: entry.line, message: "invalid \(entry.key) \"\(text)\": expected a duration such "
                            + "as 500ms, 1s or 1m, or 0")
        }
        return UInt64((seconds * 1e9).rounded())
    }

    private func decodeUsers(_ parent: YAMLEntry) throws(YAMLError) -> [String: String] {
        var users: [String: String] = [:]
        for entry in try mapping(parent.value, name: parent.key) {
            let hash = try scalar(entry)
            guard Bcrypt.isHash(hash) else {
                throw YAMLError(line: entry.line, message: "the password of user \"\(entry.key)\" is not a bcrypt "
                                + "hash ($2a$, $2b$ or $2y$ and 60 characters); make one with `htpasswd -nBC 10 \"\"`")
            }
            guard !entry.key.contains(":") else {
                throw YAMLError(line: entry.line, message: "user name \"\(entry.key)\" contains \":\", "
                                + "which basic auth cannot send")
            }
            users[entry.key] = hash
        }
        return users
    }
}

extension WebConfigDecoder {
    private func decodeTLS(_ parent: YAMLEntry) throws(YAMLError) -> TLSSettings? {
        if case .empty = parent.value { return nil }
        var fields: [String: YAMLEntry] = [:]
        for entry in try mapping(parent.value, name: parent.key) {
            fields[entry.key] = entry
        }
        if fields.isEmpty { return nil }

        let known = ["cert", "cert_file", "key", "key_file", "client_auth_type", "client_ca", "client_ca_file",
                     "client_allowed_sans", "min_version", "max_version", "cipher_suites",
                     "prefer_server_cipher_suites", "curve_preferences"]
        if let unknown = fields.values.sorted(by: { $0.line < $1.line }).first(where: { !known.contains($0.key) }) {
            throw unknownKey(unknown, in: parent.key, known: known)
        }

        var settings = TLSSettings(certFile: "", keyFile: "")
        (settings.certFile, settings.certPEM) = try source(fields, "cert", parent: parent)
        (settings.keyFile, settings.keyPEM) = try source(fields, "key", parent: parent)
        try decodeClientAuth(fields, into: &settings)
        try decodeVersions(fields, into: &settings)
        try decodeCiphers(fields, into: &settings)
        return settings
    }

    /// Reads `<name>_file` or the inline `<name>`, exactly one of which must be set. Returns the
    /// resolved path ("" when inline) and the inline PEM text (nil when a file).
    private func source(_ fields: [String: YAMLEntry], _ name: String, parent: YAMLEntry) throws(YAMLError)
        -> (String, String?)
    {
        switch (fields[name + "_file"], fields[name]) {
        case (let file?, nil):
            return (try path(file), nil)
        case (nil, let inline?):
            return ("", try pem(inline))
        case (_?, let inline?):
            throw YAMLError(line: inline.line, message: "both \(name) and \(name)_file are set; keep one")
        case (nil, nil):
            throw YAMLError(line: parent.line, message: "tls_server_config needs \(name)_file or \(name)")
        }
    }

    private func pem(_ entry: YAMLEntry) throws(YAMLError) -> String {
        let text = try scalar(entry)
        guard text.contains("-----BEGIN ") else {
            throw YAMLError(line: entry.line, message: "\(entry.key) is not PEM text (no -----BEGIN line); write it "
                            + "as a block after \"\(entry.key): |\"")
        }
        return text
    }

    private func decodeClientAuth(_ fields: [String: YAMLEntry], into settings: inout TLSSettings) throws(YAMLError) {
        if let entry = fields["client_auth_type"] {
            let text = try scalar(entry)
            // exporter-toolkit also accepts its older name RequireClientCert, and an empty value.
            let aliases: [String: ClientAuthType] = ["RequireClientCert": .requireAnyClientCert, "": .noClientCert]
            guard let type = ClientAuthType(rawValue: text) ?? aliases[text] else {
                throw YAMLError(line: entry.line, message: "invalid client_auth_type \"\(text)\": expected one of "
                                + ClientAuthType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            settings.clientAuth = type
        }
        let caEntry = fields["client_ca_file"] ?? fields["client_ca"]
        if let caEntry {
            let (file, inline) = try source(fields, "client_ca", parent: caEntry)
            settings.clientCAFile = inline == nil ? file : nil
            settings.clientCAPEM = inline
        }

        // exporter-toolkit rejects the same two mismatches, because either leaves clients unchecked.
        if let caEntry, !settings.clientAuth.verifies {
            throw YAMLError(line: caEntry.line, message: "\(caEntry.key) is set but client_auth_type "
                            + "\(settings.clientAuth.rawValue) does not verify client certificates; "
                            + "set client_auth_type: RequireAndVerifyClientCert")
        }
        if settings.clientAuth.verifies, caEntry == nil {
            throw YAMLError(line: fields["client_auth_type"]?.line ?? 0,
                            message: "client_auth_type \(settings.clientAuth.rawValue) needs client_ca_file")
        }

        guard let entry = fields["client_allowed_sans"] else { return }
        settings.clientAllowedSANs = try strings(entry)
        // Other policies let a client connect without a certificate, which leaves no name to check.
        if !settings.clientAllowedSANs.isEmpty, !settings.clientAuth.requiresCertificate {
            throw YAMLError(line: entry.line, message: "client_allowed_sans needs client_auth_type "
                            + "RequireAnyClientCert or RequireAndVerifyClientCert")
        }
    }

    private func decodeVersions(_ fields: [String: YAMLEntry], into settings: inout TLSSettings) throws(YAMLError) {
        settings.minVersion = try fields["min_version"].map(version) ?? settings.minVersion
        settings.maxVersion = try fields["max_version"].map(version) ?? settings.maxVersion
        if settings.minVersion > settings.maxVersion {
            throw YAMLError(line: fields["max_version"]?.line ?? fields["min_version"]?.line ?? 0,
                            message: "max_version \(settings.maxVersion.rawValue) is below min_version "
                                + settings.minVersion.rawValue)
        }
    }

    private func decodeCiphers(_ fields: [String: YAMLEntry], into settings: inout TLSSettings) throws(YAMLError) {
        if let entry = fields["cipher_suites"] {
            settings.cipherSuites = try strings(entry).map { name throws(YAMLError) in
                guard let openSSLName = TLSNames.cipherSuites[name] else {
                    throw YAMLError(line: entry.line, message: "unsupported cipher suite \"\(name)\"; the TLS 1.2 "
                                    + "suites are " + TLSNames.cipherSuites.keys.sorted().joined(separator: ", "))
                }
                return openSSLName
            }
        }
        if let entry = fields["prefer_server_cipher_suites"] {
            settings.preferServerCipherSuites = try boolean(entry)
        }
        if let entry = fields["curve_preferences"] {
            settings.curvePreferences = try strings(entry).map { name throws(YAMLError) in
                guard let group = TLSNames.curves[name] else {
                    throw YAMLError(line: entry.line, message: "unsupported curve \"\(name)\"; expected one of "
                                    + TLSNames.curves.keys.sorted().joined(separator: ", "))
                }
                return group
            }
        }
    }
}

extension WebConfigDecoder {
    private func mapping(_ node: YAMLNode, name: String) throws(YAMLError) -> [YAMLEntry] {
        switch node {
        case .mapping(let entries, _): return entries
        case .empty: return []
        default: throw YAMLError(line: node.line, message: "\(name) must be a mapping of keys to values")
        }
    }

    private func scalar(_ entry: YAMLEntry) throws(YAMLError) -> String {
        switch entry.value {
        case .scalar(let text, _): return text
        case .empty: return ""
        default: throw YAMLError(line: entry.line, message: "\(entry.key) must be a single value")
        }
    }

    private func strings(_ entry: YAMLEntry) throws(YAMLError) -> [String] {
        switch entry.value {
        case .empty: return []
        case .sequence(let items, _):
            return try items.map { item throws(YAMLError) in
                guard case .scalar(let text, _) = item else {
                    throw YAMLError(line: item.line, message: "\(entry.key) must be a list of names")
                }
                return text
            }
        default: throw YAMLError(line: entry.line, message: "\(entry.key) must be a list")
        }
    }

    private func boolean(_ entry: YAMLEntry) throws(YAMLError) -> Bool {
        switch try scalar(entry) {
        case "true": return true
        case "false": return false
        case let text:
            throw YAMLError(line: entry.line, message: "invalid \(entry.key) \"\(text)\": expected true or false")
        }
    }

    private func version(_ entry: YAMLEntry) throws(YAMLError) -> TLSVersion {
        let text = try scalar(entry)
        guard let version = TLSVersion(rawValue: text) else {
            throw YAMLError(line: entry.line, message: "invalid \(entry.key) \"\(text)\": expected "
                            + TLSVersion.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return version
    }

    /// Returns the entry's path, made absolute against the configuration file's directory.
    private func path(_ entry: YAMLEntry) throws(YAMLError) -> String {
        let text = try scalar(entry)
        guard !text.isEmpty else {
            throw YAMLError(line: entry.line, message: "\(entry.key) is empty; give a file path")
        }
        return text.hasPrefix("/") ? text : directory + "/" + text
    }

    private func unknownKey(_ entry: YAMLEntry, in section: String, known: [String]) -> YAMLError {
        YAMLError(line: entry.line, message: "unknown key \"\(entry.key)\" in \(section); expected "
                  + known.joined(separator: ", "))
    }
}
