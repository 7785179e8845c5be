#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL
import EmberCore
import Synchronization

/// An error that stops the TLS settings from becoming a server context, with the file and setting involved.
public struct TLSSetupError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public var description: String { message }
}

/// The OpenSSL server context built from ``TLSSettings``, rebuilt when the certificate, key or client
/// CA file changes, as exporter-toolkit re-reads them on new connections.
///
/// A rebuild that fails (a half-written key, a certificate that does not match it) is logged and the
/// previous context stays in use, so a renewal in progress never takes the endpoint down.
public final class TLSServerContext: Sendable {
    /// Minimum time between two checks of the files, in nanoseconds, so a burst of connections costs
    /// one round of `stat` calls.
    static let checkInterval: UInt64 = 1_000_000_000

    private struct State: @unchecked Sendable {
        /// Owned reference; connections hold their own through SSL_new.
        var context: OpaquePointer
        var stamps: [FileStamp]
        var lastCheck: UInt64
    }

    let settings: TLSSettings
    private let logger: Logger
    private let state: Mutex<State>
    private let handshakeFailures = HandshakeFailureLog()

    /// Loads OpenSSL if needed, then the certificate, key and client CA, so every problem with them is a
    /// start-up error.
    public init(settings: TLSSettings, logger: Logger) throws(TLSSetupError) {
        do {
            try OpenSSLLibrary.load()
        } catch {
            throw TLSSetupError(message: error.message)
        }
        self.settings = settings
        self.logger = logger
        let stamps = Self.stamps(settings)
        let context = try TLSContextBuilder.build(settings)
        state = Mutex(State(context: context, stamps: stamps, lastCheck: 0))
        logSummary(of: context)
    }

    deinit {
        state.withLock { openSSL.SSL_CTX_free($0.context) }
    }

    /// Starts a server-side TLS session on a connected socket; nil if OpenSSL cannot.
    func makeTransport(descriptor: Int32, peer: String, now: UInt64) -> TLSTransport? {
        let context = currentContext(now: now)
        return TLSTransport(descriptor: descriptor, context: context, allowedNames: settings.clientAllowedSANs) {
            [handshakeFailures, logger] reason in
            handshakeFailures.note(reason: reason, peer: peer, now: SystemClock().monotonicNanoseconds(),
                                   logger: logger)
        }
    }

    /// Returns the context, rebuilding it first when a file changed since the last check.
    func currentContext(now: UInt64) -> OpaquePointer {
        state.withLock { state in
            guard state.lastCheck == 0 || now - state.lastCheck >= Self.checkInterval else { return state.context }
            state.lastCheck = now

            let stamps = Self.stamps(settings)
            guard stamps != state.stamps else { return state.context }
            do throws(TLSSetupError) {
                let context = try TLSContextBuilder.build(settings)
                openSSL.SSL_CTX_free(state.context)
                state.context = context
                state.stamps = stamps
                logger.info("reloaded the TLS certificate and key", ("cert_file", settings.certFile))
                logSummary(of: context)
            } catch {
                // The stamps are not updated, so the next check retries once the files are complete.
                logger.error("failed to reload the TLS certificate or key; still serving the previous one",
                             ("cert_file", settings.certFile), ("err", error.message))
            }
            return state.context
        }
    }

    private func logSummary(of context: OpaquePointer) {
        guard let summary = CertificateSummary(context: context) else { return }
        let source = settings.certPEM == nil ? settings.certFile : "inline cert"
        summary.log(to: logger, certFile: source, now: Int64(WallClock.now()))
    }

    private static func stamps(_ settings: TLSSettings) -> [FileStamp] {
        ([settings.certFile, settings.keyFile] + (settings.clientCAFile.map { [$0] } ?? [])).map(FileStamp.init)
    }
}

/// A file's identity, size and modification time from `stat`, compared to notice a replaced or
/// rewritten file. All fields are zero for a missing file.
struct FileStamp: Equatable {
    var device: UInt64 = 0
    var inode: UInt64 = 0
    var size: Int64 = 0
    var modifiedSeconds: Int64 = 0
    var modifiedNanoseconds: Int64 = 0

    init(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
    }
}

/// Logs failed TLS handshakes at warn, at most once a minute with the count since the last line, so a
/// Prometheus with the wrong CA shows up in the log at the default level while a scanner cannot
/// flood it. Each failure is also logged at debug when its connection closes.
final class HandshakeFailureLog: Sendable {
    static let interval: UInt64 = 60_000_000_000

    private struct State {
        var unlogged = 0
        var lastLog: UInt64?
    }

    private let state = Mutex(State())

    func note(reason: String, peer: String, now: UInt64, logger: Logger) {
        let count: Int? = state.withLock { state in
            state.unlogged += 1
            if let last = state.lastLog, now - last < Self.interval { return nil }
            defer { state.unlogged = 0 }
            state.lastLog = now
            return state.unlogged
        }
        guard let count else { return }
        logger.warn("TLS handshakes failed; later failures are counted for a minute", ("failures", String(count)),
                    ("last_peer", peer), ("last_err", reason))
    }
}
