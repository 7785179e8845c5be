#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import EmberCore
import EmberExposition

/// `ember serve`: samples on a fixed cadence and serves `/metrics`, `/api/v1/*`, `/healthz` and `/`
/// until SIGTERM or SIGINT, then saves the state file.
enum ServeCommand {
    static func run(_ options: AgentOptions) throws -> Int32 {
        let logger = Logger(level: options.logLevel)
        let httpLogger = logger.with("component", "http")
        // Checked before any thread starts, so a broken certificate stops start-up with nothing to undo.
        guard let configuration = serverConfiguration(options, logger: httpLogger) else { return 2 }

        // Block the stop signals before any thread starts, so every thread inherits the mask
        // and only `sigwait` below receives them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        // A write to a connection the client has closed must fail with EPIPE, not end the process. The
        // server's own sends pass MSG_NOSIGNAL, and this also covers writes made by libraries.
        signal(SIGPIPE, SIG_IGN)

        let persistence = StorageSetup.persistence(options, logger: logger.with("component", "storage"))
        // Raised before the agent sizes how many source files it keeps open from the limit.
        raiseOpenFileLimit(logger: logger)
        let agent = try Agent(options, logger: logger, persistence: persistence)
        let cache = ExpositionCache()
        let router = Routes.router(cache: cache, history: agent.history, options: options)
        let handler = WebSecurity.handler(router.handle, config: options.webConfig, logger: httpLogger)
        let server = HTTPServer(configuration: configuration, logger: httpLogger, handler: handler)
        do {
            try server.start()
        } catch {
            logger.error("failed to listen on --web.listen-address. Stop the process that uses it or give another address",
                         ("address", options.listenAddress), ("err", error.description))
            return 1
        }

        logger.info(
            "ember started", ("version", Agent.version),
            ("address", server.boundAddresses.map(\.description).joined(separator: ",")),
            ("collectors", options.enabledCollectors.joined(separator: ",")),
            ("sysfs", options.roots.sysfs), ("procfs", options.roots.procfs), ("debugfs", options.roots.debugfs),
            ("interval", DurationParser.format(options.intervalSeconds)),
            ("storage", persistence?.store.directory ?? "off"),
            ("tls", configuration.tls == nil ? "off" : "on"),
            ("basic_auth_users", String(options.webConfig?.basicAuthUsers.count ?? 0)))
        startSampling(agent, cache: cache, server: server, logger: logger)

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.info("ember stopping", ("signal", received == SIGTERM ? "SIGTERM" : "SIGINT"))
        agent.sampler.stop()
        server.stop()
        agent.saveState()
        logger.info("ember stopped")
        return 0
    }

    /// Runs the sampler, publishing each snapshot with the HTTP server's `ember_http_*` families added. Those
    /// stay out of the history, which records the snapshot before they are added.
    private static func startSampling(_ agent: Agent, cache: ExpositionCache, server: HTTPServer, logger: Logger) {
        let sampling = AgentBox(agent)
        DispatchQueue(label: "ember.sampler").async {
            sampling.agent.sampler.run { snapshot in
                // Read between cycles, so a device that came or went is rescanned by the next one.
                sampling.agent.deviceEvents?.poll()
                let windowSamples = sampling.agent.record(snapshot)
                let report = cache.publish(samples: snapshot.samples, windowSamples, server.statistics.samples(),
                                           sequence: snapshot.sequence, wallTime: snapshot.wallTime)
                if report.droppedSamples > 0, !sampling.loggedDrops {
                    sampling.loggedDrops = true
                    logger.error(
                        "exposition dropped duplicate or conflicting series; later drops are not logged",
                        ("dropped", String(report.droppedSamples)),
                        ("families", report.exampleFamilies.joined(separator: ",")))
                }
            }
        }
    }

    /// Raises the soft open-file limit to the hard one before the server sizes its connection limit from it.
    private static func raiseOpenFileLimit(logger: Logger) {
        guard let change = DescriptorBudget.raiseSoftLimit() else {
            logger.warn("failed to read or raise the open-file limit (RLIMIT_NOFILE). The current limit stays",
                        ("err", String(cString: strerror(errno))))
            return
        }
        if change.current != change.previous {
            logger.debug("raised the open-file limit (RLIMIT_NOFILE) to the hard limit",
                         ("previous", String(change.previous)), ("current", String(change.current)))
        }
    }

    /// Returns nil after printing the error when a library the web configuration needs, or the TLS
    /// certificate or key, cannot be loaded. That is a configuration error, because serving plain HTTP or
    /// no authentication instead would expose what the operator meant to protect.
    private static func serverConfiguration(_ options: AgentOptions, logger: Logger) -> HTTPServerConfiguration? {
        var configuration = HTTPServerConfiguration(listenAddresses: [options.listenAddress])
        do {
            try WebSecurity.loadLibraries(options.webConfig)
        } catch {
            EmberMain.printError("ember: \(error)")
            return nil
        }
        do {
            configuration.tls = try WebSecurity.tlsContext(options.webConfig, logger: logger)
        } catch {
            EmberMain.printError("ember: invalid --web.config.file: \(error)\n\(EmberMain.usageHint("serve"))")
            return nil
        }
        configuration.maxConnections = options.maxConnections
        configuration.readTimeout = .milliseconds(Int64(options.readTimeoutSeconds * 1000))
        configuration.idleTimeout = .milliseconds(Int64(options.idleTimeoutSeconds * 1000))
        configuration.writeTimeout = .milliseconds(Int64(options.writeTimeoutSeconds * 1000))
        return configuration
    }
}

/// Hands the agent to the sampling thread, which is the only thread that uses it after start.
private final class AgentBox: @unchecked Sendable {
    let agent: Agent
    var loggedDrops = false

    init(_ agent: Agent) {
        self.agent = agent
    }
}
