// The HTTP/1.1 request parser over a connection's bytes, pipelined requests included, with each
// parsed request routed to the JSON API and its Accept headers negotiated as the server does.
//
// It also checks what a client sending a byte at a time relies on: every prefix of a complete
// request parses as incomplete, never as an error or as another request.
@testable import EmberExposition
import FuzzSupport

let server = HTTPServerConfiguration(listenAddresses: ["127.0.0.1:9101"])
let parser = HTTPRequestParser(maxRequestLineBytes: server.maxRequestLineBytes, maxHeaderBytes: server.maxHeaderBytes,
                               maxBodyBytes: server.maxBodyBytes)
let router: HTTPRouter = {
    var router = HTTPRouter()
    SampleHistory.makeAPI().register(on: &router)
    return router
}()

/// Checks nine prefixes of a request that parsed in `consumed` bytes, spread over its length.
func checkPrefixes(of input: ArraySlice<UInt8>, consumed: Int) {
    var lengths = Set(stride(from: 0, to: consumed, by: max(1, consumed / 8)))
    lengths.insert(consumed - 1)
    for length in lengths {
        guard case .incomplete = parser.parse(input.prefix(length)) else {
            preconditionFailure("the first \(length) of \(consumed) bytes of a request did not parse as incomplete")
        }
    }
}

runFuzzer { input in
    var remaining = input[...]
    while case .request(let request, let consumed) = parser.parse(remaining) {
        precondition(consumed > 0 && consumed <= remaining.count,
                     "parser consumed \(consumed) of \(remaining.count) bytes")
        checkPrefixes(of: remaining, consumed: consumed)
        _ = ExpositionFormat.negotiate(accept: request.header("accept"))
        _ = ContentCoding.acceptsGzip(request.header("accept-encoding"))
        _ = request.keepsAlive
        _ = router.handle(request)
        remaining = remaining.dropFirst(consumed)
    }
}
