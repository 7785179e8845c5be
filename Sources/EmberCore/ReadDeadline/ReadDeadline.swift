/// The agent's per-read deadline: how long one `open` plus `read` of a source file may block
/// before it is abandoned, and how a path that timed out is retried.
public struct ReadDeadline: Sendable {
    /// A quarter of the default one-second sample interval: long enough for slow I2C sensors
    /// (tens of milliseconds), short enough that three stuck files still fit in the 800 ms sample
    /// deadline.
    public static let defaultTimeoutSeconds = 0.25

    /// Seconds one `open` plus `read` may block.
    public var timeoutSeconds: Double
    /// Seconds before the first retry of a path that timed out; each failed retry doubles the wait.
    public var firstRetrySeconds: Double
    /// The maximum wait between retries, in seconds.
    public var maximumRetrySeconds: Double

    public init(
        timeoutSeconds: Double = ReadDeadline.defaultTimeoutSeconds, firstRetrySeconds: Double = 30,
        maximumRetrySeconds: Double = 300
    ) {
        self.timeoutSeconds = timeoutSeconds
        self.firstRetrySeconds = firstRetrySeconds
        self.maximumRetrySeconds = maximumRetrySeconds
    }

    /// Builds one collector's file system: system calls abandoned at the deadline, and paths that
    /// timed out skipped until their retry.
    ///
    /// - Parameters:
    ///   - files: how the collector keeps what it found between samples; the default keeps
    ///     nothing, so every call goes to the kernel.
    ///   - wrapping: puts a layer between the system calls and the rest, such as a test's fault
    ///     injection; the default adds none.
    public func makeFileSystem(
        logger: Logger, clock: any Clock = SystemClock(), files: FileReuse = .none,
        wrapping: (SystemFileSystem) -> any FileSystem = { $0 }
    ) -> TimeoutSkippingFileSystem {
        let system = SystemFileSystem(readTimeoutSeconds: timeoutSeconds, keepingFilesOpen: files.allowance)
        var layered = wrapping(system)
        if let rescanSeconds = files.rescanSeconds {
            layered = TreeLayoutCache(base: layered, intervalSeconds: rescanSeconds, clock: clock, events: files.events)
        }
        return TimeoutSkippingFileSystem(
            base: layered, logger: logger, clock: clock, firstRetrySeconds: firstRetrySeconds,
            maximumRetrySeconds: maximumRetrySeconds)
    }
}

/// The state a collector's file system keeps between samples.
public struct FileReuse: Sendable {
    /// Seconds between rescans of the tree's layout, or nil to list and resolve at every call.
    public var rescanSeconds: Double?
    /// The descriptors files may keep open between samples, or nil to close every file after its read.
    public var allowance: DescriptorAllowance?
    /// The kernel's device announcements, which start a rescan before the interval ends.
    public var events: DeviceEvents?

    public init(rescanSeconds: Double?, allowance: DescriptorAllowance?, events: DeviceEvents? = nil) {
        self.rescanSeconds = rescanSeconds
        self.allowance = allowance
        self.events = events
    }

    /// Every call goes to the kernel, as for a one-shot snapshot.
    public static let none = FileReuse(rescanSeconds: nil, allowance: nil)
}
