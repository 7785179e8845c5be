import EmberExposition
import XCTest

final class ContentNegotiationTests: XCTestCase {
    func testFormatFromAcceptHeader() {
        let prometheus242 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
            + "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        let cases: [(String?, ExpositionFormat)] = [
            (nil, .prometheusText),
            ("", .prometheusText),
            ("*/*", .prometheusText),
            (prometheus242, .openMetrics),
            ("application/openmetrics-text; version=1.0.0", .openMetrics),
            ("application/openmetrics-text", .openMetrics),
            ("Application/OpenMetrics-Text; Version=\"1.0.0\"", .openMetrics),
            ("application/openmetrics-text;version=0.0.1", .prometheusText),
            ("application/openmetrics-text;version=1.0.0;q=0.4,text/plain;q=0.5", .prometheusText),
            ("text/plain;q=0.5,application/openmetrics-text;q=0.5", .openMetrics),
            ("application/openmetrics-text;q=0", .prometheusText),
            ("application/openmetrics-text;q=junk", .prometheusText),
            ("text/plain;version=0.0.4", .prometheusText),
        ]
        for (accept, expected) in cases {
            XCTAssertEqual(ExpositionFormat.negotiate(accept: accept), expected, accept ?? "nil")
        }
    }

    func testGzipFromAcceptEncoding() {
        let cases: [(String?, Bool)] = [
            (nil, false), ("", false), ("gzip", true), ("deflate, gzip;q=0.5", true), ("GZIP", true),
            ("gzip;q=0", false), ("gzip;q=0.0", false), ("identity", false), ("br, deflate", false),
        ]
        for (header, expected) in cases {
            XCTAssertEqual(ContentCoding.acceptsGzip(header), expected, header ?? "nil")
        }
    }

    func testContentTypes() {
        XCTAssertEqual(ExpositionFormat.prometheusText.contentType, "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(ExpositionFormat.openMetrics.contentType,
                       "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }
}
