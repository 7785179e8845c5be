#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A ``FileSystem`` that stops reading a path whose read timed out, and retries it with backoff.
///
/// Without it, a file that blocks forever would cost its collector one whole read deadline on
/// every sample. After a timeout the path fails at once with a skipped ``ReadTimeout`` until its
/// retry is due. A retry that times out again doubles the wait, up to the maximum. A retry that
/// returns in time, with content or with an error, ends the skipping and is logged once.
public final class TimeoutSkippingFileSystem: ForwardingFileSystem {
    public let base: any FileSystem
    private let logger: Logger
    private let clock: any Clock
    private let firstRetrySeconds: Double
    private let maximumRetrySeconds: Double
    /// A ``PathTable``, so the check at every read costs no exclusivity check.
    private let skippedPaths = PathTable<SkippedPath>()

    private struct SkippedPath {
        var retryAtNanoseconds: UInt64
        var delaySeconds: Double
        var timeouts: Int
        let deadlineSeconds: Double
    }

    /// - Parameters:
    ///   - firstRetrySeconds: the wait before the first retry of a path that timed out.
    ///   - maximumRetrySeconds: the maximum wait between retries. Each retry that times out doubles
    ///     the wait up to this.
    public init(
        base: any FileSystem, logger: Logger, clock: any Clock = SystemClock(),
        firstRetrySeconds: Double = 30, maximumRetrySeconds: Double = 300
    ) {
        self.base = base
        self.logger = logger
        self.clock = clock
        self.firstRetrySeconds = firstRetrySeconds
        self.maximumRetrySeconds = max(firstRetrySeconds, maximumRetrySeconds)
    }

    /// The paths skipped now, for tests and diagnostics.
    public var skipped: [String] {
        var paths: [String] = []
        skippedPaths.forEach { path, _ in paths.append(path) }
        return paths.sorted()
    }

    public func readAttribute(_ path: String) throws(FileError) -> [UInt8] {
        try copyAttribute(path)
    }

    /// Spelled out without ``withSkipping(_:_:)``, whose closure cost a retain and release of
    /// `self` and `path` at every read (callgrind).
    public func withAttributeBytes(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(FileError) {
        try withBytes(path, settled: false, body)
    }

    /// Skips a timed-out path as ``withAttributeBytes(_:_:)`` does, and lets the layers beneath
    /// pass the bytes they keep.
    public func withSettledAttributeBytes(
        _ path: String, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        try withBytes(path, settled: true, body)
    }

    private func withBytes(
        _ path: String, settled: Bool, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileError) {
        let entry = skippedPaths.isEmpty ? nil : try entryDue(path)
        do {
            try base.withAttributeBytes(path, settled: settled, body)
        } catch {
            noteFailure(path, entry, error)
            throw error
        }
        noteReturned(path, entry)
    }

    public func readFile(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        try withSkipping(path) { () throws(FileError) in try base.readFile(path, limit: limit) }
    }

    /// Runs `call` through the base's deadline, and skips `path` after a timeout as reads are.
    public func withReadDeadline<Value>(reading path: String, _ call: () throws -> Value) throws -> Value {
        let entry = try entryDue(path)
        do {
            let value = try base.withReadDeadline(reading: path, call)
            noteReturned(path, entry)
            return value
        } catch {
            noteFailure(path, entry, error as? FileError)
            throw error
        }
    }

    private func withSkipping<Value>(
        _ path: String, _ read: () throws(FileError) -> Value
    ) throws(FileError) -> Value {
        let entry = try entryDue(path)
        do {
            let value = try read()
            noteReturned(path, entry)
            return value
        } catch {
            noteFailure(path, entry, error)
            throw error
        }
    }

    /// Returns the skip entry of a path whose retry is due, or nil for a path that is not skipped.
    /// Throws a skipped ``ReadTimeout`` while the retry is not due yet.
    private func entryDue(_ path: String) throws(FileError) -> SkippedPath? {
        // The common case, nothing skipped, costs one branch and no hashing of `path`.
        guard !skippedPaths.isEmpty, let entry = skippedPaths[path] else { return nil }

        let now = clock.monotonicNanoseconds()
        if now < entry.retryAtNanoseconds {
            let retryIn = Double(entry.retryAtNanoseconds - now) / 1e9
            throw FileError(
                operation: "read", path: path, code: ETIMEDOUT,
                timeout: ReadTimeout(.skipped(retryInSeconds: retryIn), deadlineSeconds: entry.deadlineSeconds))
        }
        return entry
    }

    /// Ends the skipping of a retried path. Any result from the kernel ends it, an error included,
    /// because the skipping guards only against timeouts.
    private func noteReturned(_ path: String, _ entry: SkippedPath?) {
        if let entry {
            noteRecovery(path, entry)
        }
    }

    /// Starts skipping a path whose read timed out, doubles the wait of a retry that timed out
    /// again, and ends the skipping of a retry that failed in time.
    private func noteFailure(_ path: String, _ entry: SkippedPath?, _ error: FileError?) {
        guard let timeout = error?.timeout, timeout.isAbandoned else {
            noteReturned(path, entry)
            return
        }
        guard let entry else {
            startSkipping(path, deadlineSeconds: timeout.deadlineSeconds)
            return
        }
        var next = entry
        next.timeouts += 1
        next.delaySeconds = min(entry.delaySeconds * 2, maximumRetrySeconds)
        next.retryAtNanoseconds = clock.monotonicNanoseconds() + UInt64(next.delaySeconds * 1e9)
        skippedPaths.set(next, for: path)
        logger.debug(
            "retry timed out again", ("path", path), ("timeouts", String(next.timeouts)),
            ("retry_in", DurationParser.format(next.delaySeconds)))
    }

    private func startSkipping(_ path: String, deadlineSeconds: Double) {
        let entry = SkippedPath(
            retryAtNanoseconds: clock.monotonicNanoseconds() + UInt64(firstRetrySeconds * 1e9),
            delaySeconds: firstRetrySeconds, timeouts: 1, deadlineSeconds: deadlineSeconds)
        skippedPaths.set(entry, for: path)
        logger.warn(
            "read timed out and was abandoned; the file is skipped until a retry returns in time", ("path", path),
            ("deadline", DurationParser.format(deadlineSeconds)),
            ("retry_in", DurationParser.format(firstRetrySeconds)))
    }

    private func noteRecovery(_ path: String, _ entry: SkippedPath) {
        skippedPaths.removeValue(for: path)
        logger.info("file responds again after read timeouts; it is read on every sample again", ("path", path),
                    ("timeouts", String(entry.timeouts)))
    }
}
