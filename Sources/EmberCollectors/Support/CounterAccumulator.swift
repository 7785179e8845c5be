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
        /// The ``run`` in which the key was last updated.
        var seenInRun: UInt64
    }

    private var states: [Key: State] = [:]
    /// Counts calls of ``dropUnseen()``. A stamp per state takes the place of a set of the keys
    /// seen, so an update hashes its key once. A set and two dictionary accesses hashed it three
    /// times, at about 250 instructions each for a network series key (callgrind).
    private var run: UInt64 = 0

    public init() {}

    /// Feeds the kernel's current value for `key` and returns the accumulated total.
    public mutating func update(_ key: Key, raw: UInt64) -> UInt64 {
        update(key, raw: raw, seedIfNew: { nil })
    }

    /// Feeds the kernel's current value for `key` as ``update(_:raw:)`` does. A key without a total
    /// first starts from `seed`, when that returns one, as after ``seed(_:total:lastRaw:)``.
    public mutating func update(
        _ key: Key, raw: UInt64, seedIfNew seed: () -> (total: UInt64, lastRaw: UInt64)?
    ) -> UInt64 {
        if let index = states.index(forKey: key) {
            return Self.advance(&states.values[index], raw: raw, run: run)
        }

        var state = State(lastRaw: raw, total: raw, seenInRun: run)
        if let seeded = seed() {
            state = State(lastRaw: seeded.lastRaw, total: seeded.total, seenInRun: run)
            _ = Self.advance(&state, raw: raw, run: run)
        }
        states[key] = state
        return state.total
    }

    private static func advance(_ state: inout State, raw: UInt64, run: UInt64) -> UInt64 {
        state.total &+= delta(from: state.lastRaw, to: raw)
        state.lastRaw = raw
        state.seenInRun = run
        return state.total
    }

    /// Returns whether `key` has a total already, from an update or a seed.
    public func contains(_ key: Key) -> Bool {
        states[key] != nil
    }

    /// Starts `key` at a restored total, counting the next delta from `lastRaw`
    /// (see ``CounterLedger/seed(_:)``). A seed alone does not count as an update, so a key that
    /// is seeded and never updated is dropped by the next ``dropUnseen()``.
    public mutating func seed(_ key: Key, total: UInt64, lastRaw: UInt64) {
        states[key] = State(lastRaw: lastRaw, total: total, seenInRun: run &- 1)
    }

    /// Forgets keys not updated since the last call, so vanished devices do not keep state forever,
    /// and returns them.
    @discardableResult
    public mutating func dropUnseen() -> [Key] {
        let current = run
        let dropped = states.compactMap { key, state in state.seenInRun == current ? nil : key }
        for key in dropped {
            states[key] = nil
        }
        run &+= 1
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
