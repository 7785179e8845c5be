/// Turns a hardware energy counter in microjoules (powercap `energy_uj`, hwmon `energyN_input`)
/// into a monotonic total, across its wrap.
///
/// A powercap counter counts from 0 up to `max_energy_range_uj` and then wraps to 0. A decrease is
/// read as one wrap only when that range is known, so the increase is `range − previous + current`.
/// Without the range (hwmon counters have none) a decrease is a reset (a zone re-registered, a
/// driver reloaded): the interval is skipped and the total does not move.
///
/// NOTE: a counter that wraps twice between two reads (at 1 Hz this needs more than 262 kJ, about
/// 262 kW for one second) is undercounted by whole ranges.
public struct EnergyCounter: Sendable, Equatable {
    /// The accumulated energy in microjoules, including any seeded starting value.
    public private(set) var totalMicrojoules: UInt64
    private var lastRaw: UInt64?

    private var seeded: Bool

    /// Starts at `startingAtMicrojoules`, such as a total persisted before a restart; the first
    /// reading after that only sets the baseline. Without a seed the total starts at the first
    /// reading, so it equals the kernel's counter until that first wraps or resets.
    public init(startingAtMicrojoules: UInt64? = nil) {
        totalMicrojoules = startingAtMicrojoules ?? 0
        seeded = startingAtMicrojoules != nil
    }

    /// Continues a saved total exactly: the next reading adds its increase over `lastRaw` under the
    /// wrap and reset rules above (see ``CounterLedger/seed(_:)`` for choosing `lastRaw`).
    public init(totalMicrojoules: UInt64, lastRaw: UInt64) {
        self.totalMicrojoules = totalMicrojoules
        self.lastRaw = lastRaw
        seeded = true
    }

    /// The total in joules.
    public var totalJoules: Double { Double(totalMicrojoules) / 1_000_000 }

    /// Feeds one reading of `energy_uj` and returns the microjoules it added, or nil for the
    /// first reading and for a reset.
    @discardableResult
    public mutating func update(raw: UInt64, maxRangeMicrojoules: UInt64?) -> UInt64? {
        defer { lastRaw = raw }
        guard let previous = lastRaw else {
            if !seeded {
                totalMicrojoules = raw
            }
            return nil
        }

        guard let delta = EnergyCounter.delta(from: previous, to: raw, range: maxRangeMicrojoules) else {
            return nil
        }
        totalMicrojoules &+= delta
        return delta
    }

    /// Returns the increase between two readings under the wrap and reset rules above.
    public static func delta(from previous: UInt64, to current: UInt64, range: UInt64?) -> UInt64? {
        if current >= previous {
            return current - previous
        }
        guard let range, range >= previous else { return nil }
        return range - previous + current
    }
}
