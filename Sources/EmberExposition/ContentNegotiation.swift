/// The exposition formats Ember serves.
public enum ExpositionFormat: Sendable, CaseIterable {
    case prometheusText
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheusText: PrometheusTextEncoder.contentType
        case .openMetrics: OpenMetricsEncoder.contentType
        }
    }

    /// Picks the format for an `Accept` header.
    ///
    /// OpenMetrics 1.0.0 is chosen when the client lists `application/openmetrics-text` without a version
    /// or with `version=1.0.0` at a q-value above zero and at least that of `text/plain`. Prometheus 2.42
    /// sends `application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,
    /// text/plain;version=0.0.4;q=0.5,*/*;q=0.1`. Anything else, a missing header included, gets text 0.0.4.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        var openMetricsQuality = 0.0
        var textQuality = 0.0

        for range in MediaRange.parseList(accept ?? "") {
            let version = range.parameters["version"]
            if range.type == "application/openmetrics-text", version == nil || version == "1.0.0" {
                openMetricsQuality = max(openMetricsQuality, range.quality)
            } else if range.type == "text/plain", version == nil || version == "0.0.4" {
                textQuality = max(textQuality, range.quality)
            }
        }
        return openMetricsQuality > 0 && openMetricsQuality >= textQuality ? .openMetrics : .prometheusText
    }
}

public enum ContentCoding {
    /// Returns whether an `Accept-Encoding` header lists `gzip` with a q-value above zero.
    public static func acceptsGzip(_ acceptEncoding: String?) -> Bool {
        MediaRange.parseList(acceptEncoding ?? "").contains { $0.type == "gzip" && $0.quality > 0 }
    }
}

/// One element of an `Accept` or `Accept-Encoding` list: a lowercased media type or coding, its
/// parameters and its q-value.
struct MediaRange {
    let type: String
    let parameters: [String: String]
    let quality: Double

    /// Parses a comma-separated list. An element with an unparsable q-value gets quality 0, so it never wins.
    static func parseList(_ header: String) -> [MediaRange] {
        header.split(separator: ",").compactMap { element in
            let pieces = element.split(separator: ";")
            guard let first = pieces.first else { return nil }
            let type = first.trimmingSpaces().lowercased()
            guard !type.isEmpty else { return nil }

            var parameters: [String: String] = [:]
            for piece in pieces.dropFirst() {
                let pair = piece.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let value = pair[1].trimmingSpaces()
                let unquoted = value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"")
                    ? String(value.dropFirst().dropLast()) : value
                parameters[pair[0].trimmingSpaces().lowercased()] = unquoted
            }

            let quality = parameters["q"].map { Double($0).map { min(max($0, 0), 1) } ?? 0 } ?? 1
            return MediaRange(type: type, parameters: parameters, quality: quality)
        }
    }
}
