#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An open-addressing hash table from file paths to values, for the lookups a reader makes at
/// every read.
///
/// A `Dictionary` lookup of a 90-byte sysfs path cost about 760 instructions, most of them in
/// `Hasher` and `String.==`, and this table's about 200 (callgrind, node_exporter fixture). Here
/// the hash folds the path's UTF-8 bytes 8 at a time with a multiply, and a slot whose stored
/// hash matches is compared with `memcmp` against the path's bytes, kept in the slot. Collisions
/// cost a probe, never a wrong result.
///
/// The slots live behind a pointer that the table allocates and frees itself, because a stored
/// `var` of a class costs a `swift_beginAccess` and `swift_endAccess` pair, about 90 instructions,
/// at every access (callgrind). Used by one thread at a time, like the reader that owns it.
final class PathTable<Value> {
    private struct Entry {
        /// The path's UTF-8 bytes: at `address`, in the storage of `path`, or else in a copy the
        /// table allocated. Comparing against the string's own storage spared a copy of every
        /// path, about 100 bytes and a `malloc` each, in each of the agent's tables.
        let bytes: UnsafeRawBufferPointer
        /// The path, which keeps the storage at `address` alive and unchanged.
        let path: String
        /// The address of the UTF-8 bytes of `path`, or nil for a string short enough to be stored
        /// in the `String` value itself (at most 15 bytes), whose bytes have no lasting address.
        /// Then `bytes` is the table's copy.
        let address: UnsafeRawPointer?
        var value: Value

        /// Frees the table's copy of the path, if it made one.
        func deallocateCopy() {
            if address == nil {
                bytes.deallocate()
            }
        }
    }

    /// The slots and their bookkeeping, behind one pointer so that the table's own fields never
    /// change. `hashes[i]` is 0 for an empty slot and the key's hash otherwise (a hash always has
    /// its lowest bit set). `entries[i]` is initialised exactly where `hashes[i]` is not 0.
    private struct Storage {
        var hashes: UnsafeMutablePointer<UInt64>
        var entries: UnsafeMutablePointer<Entry>
        var capacity: Int
        var count: Int
    }

    /// The result of a lookup: the slot of the path, or nil, and the path's hash.
    private typealias Probe = (index: Int?, hash: UInt64)

    private let storage: UnsafeMutablePointer<Storage>

    /// The paths one reader reads share long prefixes (`/sys/class/hwmon/hwmon3/`) and differ near
    /// the end, so the hash covers the last bytes only: enough for `cpu12/cpufreq/scaling_cur_freq`
    /// and `hwmon10/temp12_input` to differ. Paths that differ only before them share a probe run.
    private static var hashedTailBytes: Int { 40 }

    /// The length from which a `String` keeps its bytes in separate storage on every platform.
    private static var minimumAddressedCount: Int { 16 }

    /// A power of two. The table doubles when it would become more than three quarters full, which
    /// keeps an empty slot to end every probe. At that load a lookup of a stored path probes about
    /// 2.5 slots (Knuth's estimate for linear probing) instead of 1.5 at half full, and the slots of
    /// the kept files and settled attributes take a third less memory. Two slots, because each
    /// reader has three tables and two of them stay empty unless a read is denied or times out.
    private static var initialCapacity: Int { 2 }

    init() {
        storage = .allocate(capacity: 1)
        storage.initialize(to: Self.emptyStorage(capacity: Self.initialCapacity))
    }

    deinit {
        removeAll()
        storage.pointee.hashes.deallocate()
        storage.pointee.entries.deallocate()
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// The number of paths stored.
    var count: Int {
        storage.pointee.count
    }

    var isEmpty: Bool {
        storage.pointee.count == 0
    }

    @inline(__always)
    subscript(path: String) -> Value? {
        guard let index = find(path).index else { return nil }
        return storage.pointee.entries[index].value
    }

    /// Stores `value` for `path`, replacing any value stored for it.
    func set(_ value: Value, for path: String) {
        let (found, hash) = find(path)
        if let index = found {
            storage.pointee.entries[index].value = value
            return
        }

        if (storage.pointee.count + 1) * 4 > storage.pointee.capacity * 3 {
            resize(to: storage.pointee.capacity * 2)
        }
        let count = path.utf8.count
        let address = count < Self.minimumAddressedCount
            ? nil : path.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
        let bytes: UnsafeRawBufferPointer
        if let address {
            bytes = UnsafeRawBufferPointer(start: address, count: count)
        } else {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
            copy.copyBytes(from: path.utf8)
            bytes = UnsafeRawBufferPointer(copy)
        }
        insertNew(hash: hash, Entry(bytes: bytes, path: path, address: address, value: value))
    }

    /// Removes the value of `path` and returns it, or nil when none is stored.
    @discardableResult
    func removeValue(for path: String) -> Value? {
        guard let index = find(path).index else { return nil }
        return removeEntry(at: index)
    }

    /// Removes the values for which `shouldRemove` returns true.
    func removeAll(where shouldRemove: (Value) -> Bool) {
        updateAll { !shouldRemove($0) }
    }

    /// Calls `body` with every stored value, which it may change, and keeps the values for which
    /// it returns true and removes the others.
    func updateAll(keeping body: (inout Value) -> Bool) {
        let old = storage.pointee
        storage.pointee = Self.emptyStorage(capacity: old.capacity)
        for index in 0..<old.capacity where old.hashes[index] != 0 {
            var entry = (old.entries + index).move()
            if body(&entry.value) {
                insertNew(hash: old.hashes[index], entry)
            } else {
                entry.deallocateCopy()
            }
        }
        old.hashes.deallocate()
        old.entries.deallocate()
    }

    func removeAll() {
        removeAll { _ in true }
    }

    /// Calls `body` with every stored path and value, in no particular order.
    func forEach(_ body: (String, Value) -> Void) {
        let hashes = storage.pointee.hashes
        for index in 0..<storage.pointee.capacity where hashes[index] != 0 {
            body(storage.pointee.entries[index].path, storage.pointee.entries[index].value)
        }
    }

    /// Looks `path` up. The closure captures only the storage pointer: capturing `self` or the
    /// string cost a retain and release per lookup.
    @inline(__always)
    private func find(_ path: String) -> Probe {
        let storage = self.storage
        if let probe = path.utf8.withContiguousStorageIfAvailable({ Self.find(UnsafeRawBufferPointer($0), in: storage) }) {
            return probe
        }
        var copy = path
        copy.makeContiguousUTF8()
        return find(copy)
    }

    /// Probes linearly from the hash's home slot to the first empty one.
    private static func find(_ bytes: UnsafeRawBufferPointer, in storage: UnsafeMutablePointer<Storage>) -> Probe {
        let hash = hash(bytes)
        let hashes = storage.pointee.hashes
        let mask = storage.pointee.capacity - 1
        var index = home(hash, mask: mask)
        while true {
            let slotHash = hashes[index]
            if slotHash == 0 {
                return (nil, hash)
            }
            if slotHash == hash, matches(storage.pointee.entries[index], bytes) {
                return (index, hash)
            }
            index = (index + 1) & mask
        }
    }

    /// Stores an entry whose path is not in the table yet, which has room for it.
    private func insertNew(hash: UInt64, _ entry: Entry) {
        let hashes = storage.pointee.hashes
        let mask = storage.pointee.capacity - 1
        var index = Self.home(hash, mask: mask)
        while hashes[index] != 0 {
            index = (index + 1) & mask
        }
        hashes[index] = hash
        (storage.pointee.entries + index).initialize(to: entry)
        storage.pointee.count += 1
    }

    /// Empties slot `removed` and moves later slots of its probe run back into the gap, so every
    /// stored path stays reachable from its home slot without tombstones.
    private func removeEntry(at removed: Int) -> Value {
        let hashes = storage.pointee.hashes
        let entries = storage.pointee.entries
        let mask = storage.pointee.capacity - 1
        let entry = (entries + removed).move()
        entry.deallocateCopy()

        var gap = removed
        var index = removed
        while true {
            index = (index + 1) & mask
            let hash = hashes[index]
            if hash == 0 {
                break
            }
            // The entry stays where it is when its home lies cyclically in (gap, index].
            let home = Self.home(hash, mask: mask)
            let stays = gap <= index ? (gap < home && home <= index) : (gap < home || home <= index)
            if !stays {
                hashes[gap] = hash
                (entries + gap).moveInitialize(from: entries + index, count: 1)
                gap = index
            }
        }
        hashes[gap] = 0
        storage.pointee.count -= 1
        return entry.value
    }

    private func resize(to capacity: Int) {
        let old = storage.pointee
        storage.pointee = Self.emptyStorage(capacity: capacity)
        for index in 0..<old.capacity where old.hashes[index] != 0 {
            insertNew(hash: old.hashes[index], (old.entries + index).move())
        }
        old.hashes.deallocate()
        old.entries.deallocate()
    }

    private static func emptyStorage(capacity: Int) -> Storage {
        let hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        hashes.initialize(repeating: 0, count: capacity)
        return Storage(hashes: hashes, entries: .allocate(capacity: capacity), capacity: capacity, count: 0)
    }

    private static func home(_ hash: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: hash >> 32) & mask
    }

    /// Returns whether `entry` is stored for the path with UTF-8 `bytes`. Collectors that keep
    /// their path strings between samples pass the very string stored, whose bytes are at the
    /// entry's `address`: that case needs no `memcmp`, which cost about 60 instructions for a
    /// 90-byte path (callgrind). No other string's bytes can be there while the entry keeps its
    /// path alive.
    private static func matches(_ entry: Entry, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard entry.bytes.count == bytes.count else { return false }
        if let address = entry.address, address == UnsafeRawPointer(bytes.baseAddress) {
            return true
        }
        guard let stored = entry.bytes.baseAddress, let other = bytes.baseAddress else { return true }
        return memcmp(stored, other, bytes.count) == 0
    }

    /// Multiplies in the length and the last ``hashedTailBytes`` bytes, one 8-byte word at a time.
    /// The last word is loaded at `count - 8`, overlapping the one before, so a path of 8 bytes or
    /// more needs no loop over single bytes.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var hash = UInt64(truncatingIfNeeded: bytes.count) &* multiplier
        if bytes.count >= 8 {
            var offset = max(0, bytes.count - hashedTailBytes)
            while offset + 8 < bytes.count {
                hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* multiplier
                offset += 8
            }
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)) &* multiplier
        } else {
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* multiplier
            }
        }
        // A multiply moves information only towards the high bits, which `home` uses, so the
        // shift brings the high bits of the last words down before the final multiply.
        hash ^= hash >> 29
        return (hash &* multiplier) | 1
    }
}
