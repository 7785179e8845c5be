/// Minimum, maximum, sum and count of one windowed series' raw values per block of 64 cycles, so that a
/// trailing window decodes at most the block it starts in, once in 64 cycles, instead of every point.
///
/// Block `k` covers cycles `64k ..< 64(k+1)`. The blocks are a ring of slots, each tagged with its block
/// number, so a slot left from an older block reads as empty. Each block takes 32 bytes, and the ring for
/// the default raw tier, whose timestamps span 1024 cycles, has 18 of them (576 bytes). The newest 64
/// values take 512 bytes more, so that a window of up to 64 cycles, such as the 1 m window, decodes
/// nothing and sums exactly as before. A longer window keeps the decoded values of the block it starts
/// in (512 bytes more for each such window).
struct WindowBlocks {
    static let cyclesPerBlock: Int64 = 64

    /// Aggregates over some points, with `count` zero for none.
    struct Summary {
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var sum = 0.0
        var count: Int32 = 0

        mutating func add(_ value: Double) {
            minimum = min(minimum, value)
            maximum = max(maximum, value)
            sum += value
            count += 1
        }

        mutating func merge(_ other: Summary) {
            minimum = min(minimum, other.minimum)
            maximum = max(maximum, other.maximum)
            sum += other.sum
            count += other.count
        }
    }

    private struct Block {
        var number: Int32
        var summary: Summary
    }

    private var slots: [Block]
    /// The first cycle whose point is in a block; blocks before the block of this cycle are not complete.
    let trackedSince: Int64
    /// Whether the series had no point before ``trackedSince``, so that the newest values contain every
    /// point of the cycles they cover.
    let hasEveryPoint: Bool
    /// The values of the newest 64 cycles, so that a window of up to 64 cycles decodes nothing.
    private var recent: RecentValues
    /// The decoded values of the block where a longer window starts, one entry per window length seen
    /// last, so that the window decodes that block once in 64 cycles instead of every cycle.
    private var startBlocks: [BlockValues] = []
    /// The number of start blocks kept, one per window longer than 64 cycles. The default windows
    /// (1 m and 15 m) have one such window.
    static let startBlockLimit = 2

    /// Creates blocks for the points from `cycle` on, enough to cover `cycleCapacity` cycles and the
    /// partly filled blocks at both ends. `hasEveryPoint` is true when the point of `cycle` is the
    /// series' first.
    init(cycleCapacity: Int, startingAt cycle: Int64, hasEveryPoint: Bool = false) {
        let count = (cycleCapacity + Int(Self.cyclesPerBlock) - 1) / Int(Self.cyclesPerBlock) + 2
        slots = Array(repeating: Block(number: -1, summary: Summary()), count: count)
        trackedSince = cycle
        self.hasEveryPoint = hasEveryPoint
        recent = RecentValues()
    }

    /// Adds the value of `cycle`. Blocks leave NaN out, as the window aggregates do.
    mutating func add(_ value: Double, atCycle cycle: Int64) {
        recent.add(value, atCycle: cycle)
        guard !value.isNaN else { return }

        let number = Int32(truncatingIfNeeded: cycle / Self.cyclesPerBlock)
        let slot = Int(cycle / Self.cyclesPerBlock) % slots.count
        if slots[slot].number != number {
            slots[slot] = Block(number: number, summary: Summary())
        }
        slots[slot].summary.add(value)
    }

    /// Returns the aggregates of the cycles `start...lastCycle` from the newest values, oldest first as
    /// the points are stored, or nil when those cycles are not all among them.
    ///
    /// A series that got its first point after `start`, such as a power derived from two energy
    /// readings, has no point before ``trackedSince`` to miss. Its window then sums the same values in
    /// the same order as a sum over its stored points, which cost about 12,000 instructions a window
    /// to decode (callgrind).
    func recentSummary(from start: Int64, through lastCycle: Int64) -> Summary? {
        guard start >= trackedSince || hasEveryPoint else { return nil }
        return recent.summary(from: start, through: lastCycle)
    }

    /// Returns the decoded values of block `number`, or nil when they are not kept.
    func startBlock(_ number: Int64) -> BlockValues? {
        startBlocks.first { $0.number == number }
    }

    /// Keeps `values`, a block that no longer changes, in place of the kept block with the lowest number.
    mutating func keepStartBlock(_ values: BlockValues) {
        if startBlocks.count < Self.startBlockLimit {
            startBlocks.append(values)
            return
        }
        let oldest = startBlocks.indices.min { startBlocks[$0].number < startBlocks[$1].number }!
        startBlocks[oldest] = values
    }

    /// Returns the first cycle of the first whole block at or after `cycle`.
    static func blockStart(atOrAfter cycle: Int64) -> Int64 {
        (cycle + cyclesPerBlock - 1) / cyclesPerBlock * cyclesPerBlock
    }

    /// Returns true when the blocks from the one starting at `start` through the block of `lastCycle`
    /// hold every point of those cycles: `start` is a block start, tracking had begun by then, and the
    /// ring still has all those blocks.
    func covers(from start: Int64, through lastCycle: Int64) -> Bool {
        guard start % Self.cyclesPerBlock == 0, start >= trackedSince, start <= lastCycle else { return false }
        return lastCycle / Self.cyclesPerBlock - start / Self.cyclesPerBlock < Int64(slots.count)
    }

    /// Merges the blocks from the one starting at `start` through the block of `lastCycle` into `summary`,
    /// oldest first. Check ``covers(from:through:)`` first.
    func merge(from start: Int64, through lastCycle: Int64, into summary: inout Summary) {
        var number = start / Self.cyclesPerBlock
        while number <= lastCycle / Self.cyclesPerBlock {
            let block = slots[Int(number) % slots.count]
            if block.number == Int32(truncatingIfNeeded: number) {
                summary.merge(block.summary)
            }
            number += 1
        }
    }
}

/// The values of the newest 64 cycles of one series, with a bit per cycle for whether it has one.
struct RecentValues {
    static let capacity: Int64 = 64

    private var values = [Double](repeating: 0, count: Int(RecentValues.capacity))
    /// Bit `i` is set when cycle `newestCycle - i` has a value.
    private var present: UInt64 = 0
    private var newestCycle: Int64 = -1

    /// Stores the value of `cycle`, which is after every cycle stored before. NaN is stored too.
    mutating func add(_ value: Double, atCycle cycle: Int64) {
        let shift = cycle - newestCycle
        present = shift >= Self.capacity ? 0 : present << UInt64(shift)
        present |= 1
        newestCycle = cycle
        values[Int(cycle % Self.capacity)] = value
    }

    /// Returns the aggregates of the non-NaN values of cycles `start...lastCycle`, oldest first, or nil
    /// when `start` is more than 63 cycles before `lastCycle`.
    func summary(from start: Int64, through lastCycle: Int64) -> WindowBlocks.Summary? {
        guard lastCycle - start < Self.capacity, newestCycle <= lastCycle else { return nil }

        var summary = WindowBlocks.Summary()
        // Cycles older than the newest 64 have no value here, so the loop starts at the oldest kept one.
        var cycle = max(start, newestCycle - Self.capacity + 1)
        values.withUnsafeBufferPointer { values in
            while cycle <= newestCycle {
                if present & (1 << UInt64(newestCycle - cycle)) != 0 {
                    let value = values[Int(cycle % Self.capacity)]
                    if !value.isNaN {
                        summary.add(value)
                    }
                }
                cycle += 1
            }
        }
        return summary
    }
}

/// The values of one past block of 64 cycles, with a bit per cycle for whether it has one.
struct BlockValues {
    let number: Int64
    private var values = [Double](repeating: .nan, count: Int(WindowBlocks.cyclesPerBlock))
    private var present: UInt64 = 0

    init(number: Int64) {
        self.number = number
    }

    /// Stores the value of `cycle`, which must be in this block.
    mutating func set(_ value: Double, atCycle cycle: Int64) {
        let offset = Int(cycle - number * WindowBlocks.cyclesPerBlock)
        values[offset] = value
        present |= 1 << UInt64(offset)
    }

    /// Adds the non-NaN values of cycles `start..<end`, which must be in this block, oldest first.
    func add(from start: Int64, to end: Int64, into summary: inout WindowBlocks.Summary) {
        var offset = Int(start - number * WindowBlocks.cyclesPerBlock)
        let endOffset = Int(end - number * WindowBlocks.cyclesPerBlock)
        while offset < endOffset {
            if present & (1 << UInt64(offset)) != 0, !values[offset].isNaN {
                summary.add(values[offset])
            }
            offset += 1
        }
    }
}
