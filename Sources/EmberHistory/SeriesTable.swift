/// Values by series key, stored densely: an array of values and a small index from key to position.
///
/// A `Dictionary` keeps its values in a hash table of a power-of-two size filled to at most three
/// quarters, so 1085 series of 260 bytes each take 2048 slots, about 560 KB. Here the values take
/// their own size plus at most an eighth of growth room, and the index 20 bytes per slot.
struct SeriesTable<Value> {
    private var positions: [String: Int32] = [:]
    private(set) var keys: [String] = []
    private(set) var values: [Value] = []

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }

    func position(of key: String) -> Int? {
        positions[key].map(Int.init)
    }

    subscript(key: String) -> Value? {
        position(of: key).map { values[$0] }
    }

    /// The value at `position`, changed in place so that its arrays are not copied.
    subscript(position position: Int) -> Value {
        get { values[position] }
        _modify { yield &values[position] }
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
        positions[key] = Int32(values.count)
        keys.append(key)
        values.append(value)
        return values.count - 1
    }

    /// Removes every entry for which `shouldRemove` returns true, keeping the order of the others.
    mutating func removeAll(where shouldRemove: (String, Value) -> Bool) {
        let removed = (0..<count).filter { shouldRemove(keys[$0], values[$0]) }
        guard !removed.isEmpty else { return }

        let drop = Set(removed)
        keys = keys.indices.filter { !drop.contains($0) }.map { keys[$0] }
        values = values.indices.filter { !drop.contains($0) }.map { values[$0] }
        positions = [:]
        for (position, key) in keys.enumerated() {
            positions[key] = Int32(position)
        }
    }

    /// Estimated bytes allocated for the values, the keys and the index (see ``StorageBreakdown``).
    var allocatedByteEstimate: Int {
        // A native dictionary has a power-of-two number of slots, at most three quarters used.
        var slots = 1
        while slots * 3 / 4 < positions.count {
            slots <<= 1
        }
        return StorageBreakdown.arraySize(capacity: values.capacity, stride: MemoryLayout<Value>.stride)
            + StorageBreakdown.arraySize(capacity: keys.capacity, stride: MemoryLayout<String>.stride)
            + StorageBreakdown.mallocSize(slots * (MemoryLayout<String>.stride + MemoryLayout<Int32>.stride))
    }
}
