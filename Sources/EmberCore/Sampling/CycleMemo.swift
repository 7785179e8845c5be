import Synchronization

/// Values that collectors compute once per sample cycle and share.
///
/// The CPU collector and the power collector's cluster estimator both need the per-CPU times of
/// `/proc/stat`. The kernel builds that file anew at every read and sums each interrupt's count
/// over every CPU, so a read costs more with more of both: 5.7 µs on a 2-CPU x86 VM with 36
/// interrupt lines. With a memo the first collector of a cycle reads and parses it, and the other
/// takes the result.
///
/// The ``Sampler`` opens the memo when a cycle starts its collectors and empties it when the cycle
/// stops waiting for them, so nothing is kept between cycles. Outside a cycle, and without a memo
/// (a collector built alone, as in most tests), each caller computes its own value.
public final class CycleMemo: Sendable {
    /// The values of the running cycle by key, or nil between cycles.
    private let values = Mutex<[String: any Sendable]?>(nil)

    public init() {}

    /// Starts a cycle with an empty memo.
    public func startCycle() {
        values.withLock { $0 = [:] }
    }

    /// Ends the cycle and drops its values. A collector still running, abandoned at the sample
    /// deadline, computes its own values from then on.
    public func endCycle() {
        values.withLock { $0 = nil }
    }

    /// Returns the value stored under `key` in this cycle, or computes, stores and returns it.
    ///
    /// `compute` runs outside the lock, so two collectors that ask at the same moment may both
    /// compute, and the later one's value is kept. A `compute` that throws stores nothing, so
    /// the next caller tries again. Values of another type under the same key are computed again.
    public func value<Value: Sendable>(_ key: String, _ compute: () throws -> Value) rethrows -> Value {
        if let known = values.withLock({ $0?[key] }) as? Value {
            return known
        }

        let value = try compute()
        values.withLock { stored in
            if stored != nil {
                stored?[key] = value
            }
        }
        return value
    }
}

extension Optional where Wrapped == CycleMemo {
    /// Returns the memo's value for `key`, or `compute()` when there is no memo.
    public func value<Value: Sendable>(_ key: String, _ compute: () throws -> Value) rethrows -> Value {
        guard let memo = self else { return try compute() }
        return try memo.value(key, compute)
    }
}
