/// Values by series key, stored densely: an array of values, an array of keys and a small hash index
/// from key to position.
///
/// A `Dictionary` keeps its values in a hash table of a power-of-two size filled to at most three
/// quarters, so 1085 series of 260 bytes each take 2048 slots, about 560 KB. Here the values take
/// their own size plus at most an eighth of growth room. The index is open addressing with linear
/// probing, filled to at most three quarters like a `Dictionary`, but each slot is a 4-byte position
/// where a `[String: Int32]` slot takes 20 bytes, because the keys are already in `keys`.
struct SeriesTable<Value> {
    /// Each slot is 0 when empty, or a position in `keys` plus one.
    private var slots: [Int32] = []
    private(set) var keys: [String] = []
    private(set) var values: [Value] = []
    /// The number of removals, the only change that moves entries. An insertion appends, so a
    /// position found earlier names the same key while this number stays the same.
    private(set) var generation = 0

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }

    func position(of key: String) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = key.hashValue & mask
        // The index is never more than three quarters full, so the probe ends at an empty slot.
        while slots[slot] != 0 {
            let position = Int(slots[slot]) - 1
            if keys[position] == key {
                return position
            }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Returns the stored copy of `key`, whose storage another table can share.
    func storedKey(_ key: String) -> String? {
        position(of: key).map { keys[$0] }
    }

    /// Makes room for `count` entries in all, exactly, unless there is room already.
    mutating func reserveCapacity(_ count: Int) {
        values.reserveCapacity(count)
        keys.reserveCapacity(count)
    }

    subscript(key: String) -> Value? {
        position(of: key).map { values[$0] }
    }

    /// The value at `position`, changed in place so that its arrays are not copied.
    subscript(position position: Int) -> Value {
        get { values[position] }
        _modify { yield &values[position] }
    }

    /// Calls `body` with the values to change in place. A loop over many positions inside `body`
    /// takes one access to the table where the position subscript takes one per position.
    mutating func modifyValues<Result>(_ body: (inout [Value]) -> Result) -> Result {
        body(&values)
    }

    /// Inserts `value`, or replaces the value of `key`, and returns its position.
    @discardableResult
    mutating func set(_ value: Value, for key: String) -> Int {
        if let position = position(of: key) {
            values[position] = value
            return position
        }
        if values.count == values.capacity {
            let room = max(16, values.count / 8)
            values.reserveCapacity(values.count + room)
            keys.reserveCapacity(values.count + room)
        }
        keys.append(key)
        values.append(value)
        if values.count * 4 > slots.count * 3 {
            rebuildIndex()
        } else {
            insertIntoIndex(position: values.count - 1)
        }
        return values.count - 1
    }

    /// Removes every entry for which `shouldRemove` returns true, keeping the order of the others.
    mutating func removeAll(where shouldRemove: (String, Value) -> Bool) {
        let removed = (0..<count).filter { shouldRemove(keys[$0], values[$0]) }
        guard !removed.isEmpty else { return }

        generation += 1
        let drop = Set(removed)
        keys = keys.indices.filter { !drop.contains($0) }.map { keys[$0] }
        values = values.indices.filter { !drop.contains($0) }.map { values[$0] }
        rebuildIndex()
    }

    /// Rebuilds the index at the smallest power-of-two size that is at most three quarters full.
    private mutating func rebuildIndex() {
        var size = 16
        while size * 3 < count * 4 {
            size <<= 1
        }
        slots = [Int32](repeating: 0, count: size)
        for position in 0..<count {
            insertIntoIndex(position: position)
        }
    }

    private mutating func insertIntoIndex(position: Int) {
        let mask = slots.count - 1
        var slot = keys[position].hashValue & mask
        while slots[slot] != 0 {
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(position + 1)
    }

    /// Estimated bytes allocated for the values, the keys and the index (see ``StorageBreakdown``).
    var allocatedByteEstimate: Int {
        StorageBreakdown.arraySize(capacity: values.capacity, stride: MemoryLayout<Value>.stride)
            + StorageBreakdown.arraySize(capacity: keys.capacity, stride: MemoryLayout<String>.stride)
            + StorageBreakdown.arraySize(capacity: slots.capacity, stride: MemoryLayout<Int32>.stride)
    }
}
