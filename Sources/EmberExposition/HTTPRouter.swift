/// Routes requests by exact path to GET handlers; for HEAD the server sends the GET response's headers without its body.
///
/// Unknown paths get 404, and methods other than GET and HEAD on a known path get 405 with
/// `Allow: GET, HEAD`.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private var routes: [String: Handler] = [:]

    public init() {}

    public mutating func route(_ path: String, _ handler: @escaping Handler) {
        routes[path] = handler
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard let handler = routes[request.path] else {
            // Lists the known paths, so a client that mistyped one in a browser or curl gets the right spelling.
            let known = routes.keys.sorted().joined(separator: ", ")
            return .text(404, "not found: \(request.path); the paths are \(known)")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "method \(request.method) not allowed on \(request.path)",
                         headers: [HTTPHeader("Allow", "GET, HEAD")])
        }
        return handler(request)
    }
}
