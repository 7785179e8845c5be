// The web configuration file (`--web.config.file`, the YAML format Prometheus exporters share) and the
// `Authorization: Basic` header, decoded as the server does before any bcrypt check.
@testable import EmberExposition
import FuzzSupport

runFuzzer { input in
    let text = String(decoding: input, as: UTF8.self)
    _ = try? WebConfig.parse(text, path: "/etc/ember/web-config.yml")
    _ = Base64.decode(text)
    _ = BasicAuthenticator.credentials(text)
}
