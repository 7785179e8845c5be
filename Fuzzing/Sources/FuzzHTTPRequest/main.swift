// The HTTP/1.1 request parser over a connection's bytes, pipelined requests included, with each
// parsed request routed to the JSON API and its Accept headers negotiated as the server does.
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

runFuzzer { input in
    var remaining = input[...]
    while case .request(let request, let consumed) = parser.parse(remaining) {
        precondition(consumed > 0 && consumed <= remaining.count, "parser consumed \(consumed) of \(remaining.count) bytes")
        _ = ExpositionFormat.negotiate(accept: request.header("accept"))
        _ = ContentCoding.acceptsGzip(request.header("accept-encoding"))
        _ = request.keepsAlive
        _ = router.handle(request)
        remaining = remaining.dropFirst(consumed)
    }
}
