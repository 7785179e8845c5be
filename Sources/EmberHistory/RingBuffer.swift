/// A fixed-capacity FIFO that overwrites its oldest element when full.
///
/// Storage grows with the elements appended, up to the capacity, so a series that has existed
/// for a minute costs a minute of points, not the whole retention.
///
/// Invariants, checked after every mutation in debug builds:
/// - `capacity` is a power of two;
/// - `storage.count <= capacity`, and `head == 0` until the buffer is full;
/// - `head < capacity` is the index of the oldest element.
///
/// Indices given to the subscript count from the oldest element (0) to the newest (`count - 1`);
/// every `append` to a full buffer shifts them by one.
public struct RingBuffer<Element> {
    private var storage: [Element] = []
    private var head = 0
    public let capacity: Int

    /// Creates a buffer that stores at least `minimumCapacity` elements, rounded up to a power of two
    /// so that Array's doubling growth ends exactly at the capacity.
    public init(minimumCapacity: Int) {
        precondition(minimumCapacity > 0, "ring buffer capacity must be positive, got \(minimumCapacity)")
        var capacity = 1
        while capacity < minimumCapacity {
            capacity <<= 1
        }
        self.capacity = capacity
        assert(verifyInvariants())
    }

    public var count: Int { storage.count }

    /// Elements the storage has room for before it grows.
    var storageCapacity: Int { storage.capacity }
    public var isEmpty: Bool { storage.isEmpty }

    /// Appends `element`, dropping the oldest one when the buffer is full.
    public mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[head] = element
            head = (head + 1) & (capacity - 1)
        }
        assert(verifyInvariants())
    }

    /// Returns the element `index` positions after the oldest one.
    public subscript(index: Int) -> Element {
        precondition(index >= 0 && index < storage.count, "ring buffer index \(index) out of 0..<\(storage.count)")
        return storage[(head + index) & (capacity - 1)]
    }

    /// The newest element, if any.
    public var last: Element? {
        storage.isEmpty ? nil : self[storage.count - 1]
    }

    /// The oldest element, if any.
    public var first: Element? {
        storage.isEmpty ? nil : self[0]
    }

    func verifyInvariants() -> Bool {
        guard capacity > 0, capacity & (capacity - 1) == 0 else { return false }
        guard storage.count <= capacity, head >= 0, head < capacity else { return false }
        return storage.count == capacity || head == 0
    }

    /// Test hook: the raw slot index of the oldest element.
    public var testOnly_head: Int { head }
}
