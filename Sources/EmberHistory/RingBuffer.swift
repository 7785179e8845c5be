/// A fixed-capacity FIFO that overwrites its oldest element when full.
///
/// Invariants, checked after every mutation in debug builds:
/// - `storage.count` is a power of two and never changes after `init`;
/// - `0 <= count <= storage.count`;
/// - `head < storage.count` is the index of the oldest element when `count > 0`.
///
/// Indices given to the subscript count from the oldest element (0) to the newest (`count - 1`);
/// every `append` that overwrites shifts them by one.
public struct RingBuffer<Element> {
    private var storage: [Element?]
    private var head = 0
    public private(set) var count = 0

    /// Creates a buffer that holds at least `minimumCapacity` elements, rounded up to a power of two.
    public init(minimumCapacity: Int) {
        precondition(minimumCapacity > 0, "ring buffer capacity must be positive, got \(minimumCapacity)")
        var capacity = 1
        while capacity < minimumCapacity {
            capacity <<= 1
        }
        storage = [Element?](repeating: nil, count: capacity)
        assert(verifyInvariants())
    }

    public var capacity: Int { storage.count }
    public var isEmpty: Bool { count == 0 }

    /// Appends `element`, dropping the oldest one when the buffer is full.
    public mutating func append(_ element: Element) {
        let mask = storage.count - 1
        if count == storage.count {
            storage[head] = element
            head = (head + 1) & mask
        } else {
            storage[(head + count) & mask] = element
            count += 1
        }
        assert(verifyInvariants())
    }

    /// Removes the oldest element, if any.
    @discardableResult
    public mutating func removeFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) & (storage.count - 1)
        count -= 1
        assert(verifyInvariants())
        return element
    }

    /// The element `index` positions after the oldest one.
    public subscript(index: Int) -> Element {
        precondition(index >= 0 && index < count, "ring buffer index \(index) out of 0..<\(count)")
        return storage[(head + index) & (storage.count - 1)]!
    }

    /// The newest element, if any.
    public var last: Element? {
        count == 0 ? nil : self[count - 1]
    }

    /// The oldest element, if any.
    public var first: Element? {
        count == 0 ? nil : self[0]
    }

    func verifyInvariants() -> Bool {
        let capacity = storage.count
        guard capacity > 0, capacity & (capacity - 1) == 0 else { return false }
        guard count >= 0, count <= capacity, head >= 0, head < capacity else { return false }
        // Slots outside the live range hold nil, so dropped elements are released.
        for offset in count..<capacity where storage[(head + offset) & (capacity - 1)] != nil {
            return false
        }
        return true
    }

    /// Test hook: the raw slot index of the oldest element.
    public var testOnly_head: Int { head }
}
