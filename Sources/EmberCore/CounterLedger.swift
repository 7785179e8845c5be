import Synchronization

/// The state of one counter the agent accumulates itself, as saved across restarts.
///
/// Both numbers are in the accumulator's own unit (bytes, packets, microjoules), so the saved
/// total continues exactly.
public struct SavedCounter: Sendable, Equatable {
    /// The accumulated total.
    public let total: UInt64
    /// The kernel's raw value when the total was last updated.
    public let raw: UInt64
    /// `/proc/sys/kernel/random/boot_id` when the counter was saved; empty when it was unreadable.
    public let bootID: String

    public init(total: UInt64, raw: UInt64, bootID: String) {
        self.total = total
        self.raw = raw
        self.bootID = bootID
    }
}

/// Accumulated counters shared between collectors and persistence, keyed by series key
/// (``Sample/seriesKey``).
///
/// At start it contains the counters restored from the state file. A collector seeds each of its
/// accumulators with ``seed(_:)`` when it first reads a series, then reports every update with
/// ``update(_:total:raw:)``, so the next save has the newest state. Thread-safe: collectors run on
/// worker threads and the agent saves from another.
public final class CounterLedger: Sendable {
    /// The boot this process runs in, or empty when `boot_id` was unreadable.
    public let bootID: String
    private let restored: [String: SavedCounter]
    private let current = Mutex<[String: SavedCounter]>([:])

    public init(restored: [String: SavedCounter] = [:], bootID: String = "") {
        self.restored = restored
        self.bootID = bootID
    }

    /// Returns where an accumulator for `seriesKey` starts: the saved total and the raw value to
    /// count the next delta from, or nil when nothing was saved for it.
    ///
    /// In the same boot the counter continues from the saved raw value, so a restart loses nothing.
    /// After a reboot the kernel's counter restarted at zero, so the total grows by the whole new
    /// raw value. When either boot ID is unknown, the counter is treated as the same boot, and the
    /// accumulator's wrap and reset rules handle a raw value below the saved one.
    public func seed(_ seriesKey: String) -> (total: UInt64, lastRaw: UInt64)? {
        guard let saved = restored[seriesKey] else { return nil }
        let rebooted = !bootID.isEmpty && !saved.bootID.isEmpty && saved.bootID != bootID
        return (saved.total, rebooted ? 0 : saved.raw)
    }

    /// Returns the saved counters of one family, with the label values of each series, for a
    /// collector that rebuilds its own accumulators at start.
    public func restoredSeries(family: String) -> [(labelValues: [String], counter: SavedCounter)] {
        let prefix = family + "\u{1}"
        return restored.compactMap { key, counter in
            guard key.hasPrefix(prefix) else { return nil }
            let values = key.dropFirst(prefix.count).split(separator: "\u{1}", omittingEmptySubsequences: false)
            return (values.map(String.init), counter)
        }
    }

    /// Records the newest state of an accumulated counter.
    public func update(_ seriesKey: String, total: UInt64, raw: UInt64) {
        let entry = SavedCounter(total: total, raw: raw, bootID: bootID)
        current.withLock { $0[seriesKey] = entry }
    }

    /// Forgets a counter whose device went away, so the state file does not keep it forever.
    public func remove(_ seriesKey: String) {
        _ = current.withLock { $0.removeValue(forKey: seriesKey) }
    }

    /// The counters to save: every one updated in this run.
    ///
    /// NOTE: a restored counter whose device has not appeared in this run is not saved again,
    /// so a device absent for a whole run starts its total over when it returns.
    public var snapshot: [String: SavedCounter] {
        current.withLock { $0 }
    }
}

extension Sample {
    /// Returns the series key of a sample of `name` with `labelValues`, without building the sample.
    /// The key is built in one allocation, because the history computes it for every sample of
    /// every cycle.
    ///
    /// The bytes are copied into the new string's storage directly, because `String.append` checks
    /// and grows its storage on every call. Appending took 1.8 times the instructions (callgrind,
    /// `ember serve` on the RK3588 fixture tree).
    public static func seriesKey(name: String, labelValues: [String]) -> String {
        var length = name.utf8.count
        for value in labelValues {
            length += 1 + value.utf8.count
        }

        return String(unsafeUninitializedCapacity: length) { buffer in
            var offset = copyUTF8(name, into: buffer, at: 0)
            for value in labelValues {
                buffer[offset] = 1
                offset = copyUTF8(value, into: buffer, at: offset + 1)
            }
            return offset
        }
    }

    /// Copies the UTF-8 bytes of `text` into `buffer` at `offset` and returns the offset after them.
    private static func copyUTF8(_ text: String, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes in
            UnsafeMutableBufferPointer(rebasing: buffer[offset...]).initialize(fromContentsOf: bytes)
        }
        if let copied {
            return offset + copied
        }

        var end = offset
        for byte in text.utf8 {
            buffer[end] = byte
            end += 1
        }
        return end
    }
}
