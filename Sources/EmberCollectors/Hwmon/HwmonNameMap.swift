/// A small map from names to values, kept sorted by name (`String` `<`), such as a chip's sensors
/// by `temp1` or a sensor's values by property.
///
/// The sysfs reader knows the name order from its plan and appends in that order, and the hwmon
/// collector emits in that order. With a `Dictionary` of sensors and one of values per sensor, the
/// hashing and the sorting before emitting cost about 250 000 instructions per sample on
/// node_exporter's test tree of 122 attributes (callgrind). A sensor has a few values and a chip a
/// few dozen sensors, so a lookup by binary search stays short.
struct HwmonNameMap<Value>: Sequence, ExpressibleByDictionaryLiteral {
    typealias Element = (key: String, value: Value)

    private var entries: [Element] = []

    init() {}

    init(minimumCapacity: Int) {
        entries.reserveCapacity(minimumCapacity)
    }

    init(dictionaryLiteral elements: (String, Value)...) {
        for (key, value) in elements {
            self[key] = value
        }
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var first: Element? { entries.first }
    var keys: [String] { entries.map(\.key) }
    var values: [Value] { entries.map(\.value) }

    func makeIterator() -> IndexingIterator<[Element]> {
        entries.makeIterator()
    }

    /// The value stored under `key`. Setting nil removes the entry, and setting a new key inserts
    /// it at its place in the order.
    subscript(key: String) -> Value? {
        get {
            let index = insertionIndex(of: key)
            return index < entries.count && entries[index].key == key ? entries[index].value : nil
        }
        set {
            let index = insertionIndex(of: key)
            let isPresent = index < entries.count && entries[index].key == key
            switch (newValue, isPresent) {
            case (let value?, true): entries[index].value = value
            case (let value?, false): entries.insert((key, value), at: index)
            case (nil, true): entries.remove(at: index)
            case (nil, false): break
            }
        }
    }

    /// Appends an entry whose key sorts after every key present, without searching.
    mutating func append(_ key: String, _ value: Value) {
        assert(entries.last.map { $0.key < key } ?? true, "\(key) appended out of order")
        entries.append((key, value))
    }

    /// Replaces the value of the last entry when its key is `key`, and appends otherwise as
    /// ``append(_:_:)`` does.
    mutating func appendOrReplaceLast(_ key: String, _ value: Value) {
        if let last = entries.indices.last, entries[last].key == key {
            entries[last].value = value
        } else {
            append(key, value)
        }
    }

    /// Returns the entries for which `isIncluded` returns true, in the same order.
    func filter(_ isIncluded: (Element) throws -> Bool) rethrows -> HwmonNameMap {
        var kept = HwmonNameMap()
        kept.entries = try entries.filter(isIncluded)
        return kept
    }

    /// Returns the index of `key`, or of the first key that sorts after it.
    private func insertionIndex(of key: String) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key < key {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}
