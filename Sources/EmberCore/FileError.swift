#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed file-system operation on one path, with the `errno` the kernel returned.
///
/// Collectors never turn a `FileError` into a number: the series it would have fed is omitted
/// and the error is counted against the collector (or, for ``isPermissionDenied``, the source is
/// reported unavailable).
public struct FileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation that failed, such as `open`, `read` or `opendir`.
    public let operation: String
    /// The full path, root prefix included, so a log line points at the real file.
    public let path: String
    /// The C `errno` value, or 0 for a failure the kernel did not report (a file over the size limit).
    public let code: Int32
    /// Set when the agent gave up on the operation at its per-read deadline, not because the kernel
    /// failed it; `code` is then ETIMEDOUT.
    public let timeout: ReadTimeout?

    public init(operation: String, path: String, code: Int32, timeout: ReadTimeout? = nil) {
        self.operation = operation
        self.path = path
        self.code = code
        self.timeout = timeout
    }

    /// Returns the same error for another path, such as the path a caller asked for when the
    /// operation ran on another file in its place.
    public func replacingPath(with other: String) -> FileError {
        FileError(operation: operation, path: other, code: code, timeout: timeout)
    }

    /// The file or directory does not exist (ENOENT, ENOTDIR) or the device went away (ENODEV, ENXIO).
    public var isNotFound: Bool {
        code == ENOENT || code == ENOTDIR || code == ENODEV || code == ENXIO
    }

    /// The path does not exist in the tree as it is now (ENOENT, ENOTDIR), so the same call fails
    /// the same way until the tree changes. A timed-out call is not, whatever its code.
    public var isMissingPath: Bool {
        timeout == nil && (code == ENOENT || code == ENOTDIR)
    }

    /// The caller lacks the privilege (EACCES, EPERM): "not available to this user", not a fault.
    public var isPermissionDenied: Bool {
        code == EACCES || code == EPERM
    }

    /// The C name of the errno, such as `EINVAL`, for logs and tests.
    public var errnoName: String {
        Errno.name(of: code)
    }

    public var description: String {
        if let timeout {
            return "\(operation) \(path): \(timeout)"
        }
        if code == 0 {
            return "\(operation) \(path): file larger than the read limit"
        }
        return "\(operation) \(path): \(errnoName) (\(Errno.message(of: code)))"
    }
}

/// Names and messages of the errno values the readers meet.
public enum Errno {
    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO",
        EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT",
        EBUSY: "EBUSY", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL",
        EMFILE: "EMFILE", ENFILE: "ENFILE", ENOSPC: "ENOSPC", ERANGE: "ERANGE", ENODATA: "ENODATA",
        ETIMEDOUT: "ETIMEDOUT", EOPNOTSUPP: "EOPNOTSUPP", ENAMETOOLONG: "ENAMETOOLONG",
        ELOOP: "ELOOP", ECANCELED: "ECANCELED",
    ]

    /// Returns the symbolic name of `code`, or `errno N` for a value without one here.
    public static func name(of code: Int32) -> String {
        names[code] ?? "errno \(code)"
    }

    /// Returns the C library's message for `code` (`strerror`).
    public static func message(of code: Int32) -> String {
        guard let text = strerror(code) else { return "unknown error" }
        return String(cString: text)
    }
}

/// Why the agent gave up on an open or read: it blocked past the per-read deadline, or an earlier
/// read of the same path did and the path is skipped until its next retry.
public struct ReadTimeout: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The call blocked past the deadline and was interrupted.
        case abandoned
        /// The path was not read, because an earlier read timed out; the next retry is this many
        /// seconds away.
        case skipped(retryInSeconds: Double)
    }

    public let kind: Kind
    /// The per-read deadline, in seconds.
    public let deadlineSeconds: Double

    public init(_ kind: Kind, deadlineSeconds: Double) {
        self.kind = kind
        self.deadlineSeconds = deadlineSeconds
    }

    public var isAbandoned: Bool {
        kind == .abandoned
    }

    public var description: String {
        let deadline = DurationParser.format(deadlineSeconds)
        switch kind {
        case .abandoned:
            return "timed out after the \(deadline) read deadline; the read was abandoned"
        case .skipped(let retry):
            return "skipped, because an earlier read timed out after the \(deadline) read deadline; "
                + "next retry in \(DurationParser.format(retry.rounded(.up)))"
        }
    }
}
