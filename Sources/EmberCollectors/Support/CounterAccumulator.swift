/// Turns kernel counters that wrap at 32 bits or restart at zero into monotonic totals.
///
/// The first value seen for a key starts its total, so the total equals the kernel's value until
/// the kernel's counter first wraps or resets. A later decrease is classified by the previous value:
/// - previous value ≤ 2^32 − 1: a 32-bit counter wrapped, and the delta is `new + 2^32 − previous`.
/// - previous value > 2^32 − 1: the counter cannot be 32 bits wide, so the device or driver reset
///   it, and the delta is `new` (the counter restarted at zero and counted up to `new`).
///
/// NOTE: a reset of a counter whose previous value was below 2^32 (an interface re-created under
/// the same name) is indistinguishable from a wrap here and adds up to 4 GiB too much.
public struct CounterAccumulator<Key: Hashable> {
    private struct State {
        var lastRaw: UInt64
        var total: UInt64
    }

    private var states: [Key: State] = [:]
    private var seenThisRun: Set<Key> = []

    public init() {}

    /// Feeds the kernel's current value for `key` and returns the accumulated total.
    public mutating func update(_ key: Key, raw: UInt64) -> UInt64 {
        seenThisRun.insert(key)
        guard var state = states[key] else {
            states[key] = State(lastRaw: raw, total: raw)
            return raw
        }

        state.total &+= CounterAccumulator.delta(from: state.lastRaw, to: raw)
        state.lastRaw = raw
        states[key] = state
        return state.total
    }

    /// Returns whether `key` has a total already, from an update or a seed.
    public func contains(_ key: Key) -> Bool {
        states[key] != nil
    }

    /// Starts `key` at a restored total, counting the next delta from `lastRaw`
    /// (see ``CounterLedger/seed(_:)``).
    public mutating func seed(_ key: Key, total: UInt64, lastRaw: UInt64) {
        states[key] = State(lastRaw: lastRaw, total: total)
    }

    /// Forgets keys not updated since the last call, so vanished devices do not keep state forever,
    /// and returns them.
    @discardableResult
    public mutating func dropUnseen() -> [Key] {
        let dropped = states.keys.filter { !seenThisRun.contains($0) }
        for key in dropped {
            states[key] = nil
        }
        seenThisRun.removeAll(keepingCapacity: true)
        return dropped
    }

    /// Returns the increase between two raw readings under the wrap and reset rules above.
    public static func delta(from previous: UInt64, to current: UInt64) -> UInt64 {
        if current >= previous {
            return current - previous
        }
        if previous <= UInt64(UInt32.max) {
            return current + (UInt64(1) << 32) - previous
        }
        return current
    }
}
