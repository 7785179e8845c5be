/// The values stored at one time in a tier: one raw value, or a bucket's aggregates.
///
/// Fixed storage for up to five values, so appending a point allocates nothing.
public struct PointValues: Sendable, Equatable {
    public static let maximumCount = 5

    private var storage: (Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0)
    public let count: Int

    public init(count: Int) {
        precondition(count > 0 && count <= PointValues.maximumCount, "a point has 1...5 values, got \(count)")
        self.count = count
    }

    public init(_ values: [Double]) {
        self.init(count: values.count)
        for (index, value) in values.enumerated() {
            self[index] = value
        }
    }

    public subscript(index: Int) -> Double {
        // Inlined, because the raw tier reads one value per sample and cycle, and the call took about
        // 25 instructions of a repeated point's 200 in the -Osize build (callgrind).
        @inline(__always)
        get {
            precondition(index >= 0 && index < count, "point value index \(index) out of 0..<\(count)")
            return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: index * 8, as: Double.self) }
        }
        set {
            precondition(index >= 0 && index < count, "point value index \(index) out of 0..<\(count)")
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: index * 8, as: Double.self) }
        }
    }

    public var array: [Double] { (0..<count).map { self[$0] } }

    /// Compares bit patterns so that NaN equals NaN, because stored points must round-trip exactly.
    public static func == (lhs: PointValues, rhs: PointValues) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return (0..<lhs.count).allSatisfy { lhs[$0].bitPattern == rhs[$0].bitPattern || lhs[$0] == rhs[$0] }
    }
}
