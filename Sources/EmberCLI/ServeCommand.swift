enum ServeCommand {
    static func run(_ options: AgentOptions) throws -> Int32 {
        throw UsageError(message: "serve is wired once the HTTP server lands")
    }
}
