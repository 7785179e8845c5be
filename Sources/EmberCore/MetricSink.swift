/// Collects what one collector run produced: samples, read errors, and sources this user may not read.
public struct MetricSink {
    public private(set) var samples: [Sample] = []
    /// Errors that cost some series but not the whole collector (a single unreadable attribute).
    public private(set) var errors: [any Error] = []
    /// Sources denied by permissions (EACCES, EPERM), reported as `ember_source_available 0`.
    public private(set) var unavailableSources: [UnavailableSource] = []

    public init() {}

    /// Reserves room for `count` samples, so a caller that knows the size of the last run grows the
    /// array once instead of doubling it about ten times for a thousand samples.
    public mutating func reserveCapacity(_ count: Int) {
        samples.reserveCapacity(count)
    }

    /// Adds a sample; the number of label values must match the descriptor's label names.
    public mutating func add(_ descriptor: MetricDescriptor, _ value: Double, _ labelValues: String...) {
        samples.append(Sample(descriptor, value, labelValues: labelValues))
    }

    /// Adds a sample with label values given as an array.
    public mutating func add(_ descriptor: MetricDescriptor, _ value: Double, labelValues: [String]) {
        samples.append(Sample(descriptor, value, labelValues: labelValues))
    }

    /// Records a read or parse error that cost one or more series.
    ///
    /// A permission error is recorded as an unavailable source instead, because it means "not
    /// available to this user", not a fault of the collector. Record a denied source on every run
    /// while it stays denied, even when a cached outcome skips the read, because a source missing
    /// from a successful run is taken as readable again.
    public mutating func record(_ error: any Error) {
        if let fileError = error as? FileError, fileError.isPermissionDenied {
            unavailableSources.append(UnavailableSource(path: fileError.path, error: fileError))
            return
        }
        errors.append(error)
    }

    /// Records a permission error together with the privilege that grants access (`CAP_SYS_ADMIN`),
    /// which the agent logs once so the operator knows what to change. Any other error is recorded
    /// as by ``record(_:)``.
    public mutating func record(_ error: any Error, grantedBy privilege: String) {
        if let fileError = error as? FileError, fileError.isPermissionDenied {
            unavailableSources.append(UnavailableSource(path: fileError.path, error: fileError, grantedBy: privilege))
            return
        }
        record(error)
    }

    /// Runs `read` and records its error instead of throwing; returns nil when it failed.
    public mutating func attempt<Value>(_ read: () throws -> Value) -> Value? {
        do {
            return try read()
        } catch {
            record(error)
            return nil
        }
    }
}

/// A source the agent's user cannot read.
public struct UnavailableSource: Sendable, Hashable {
    public let path: String
    public let error: FileError
    /// The privilege that grants access, such as `CAP_SYS_ADMIN`, or nil when the collector named none.
    public let grantedBy: String?

    public init(path: String, error: FileError, grantedBy: String? = nil) {
        self.path = path
        self.error = error
        self.grantedBy = grantedBy
    }
}
