/// One 64-bit word per field of a point, without allocating.
struct FieldWords {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)

    subscript(index: Int) -> UInt64 {
        get {
            precondition(index >= 0 && index < PointValues.maximumCount, "field index \(index) out of range")
            return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: index * 8, as: UInt64.self) }
        }
        set {
            precondition(index >= 0 && index < PointValues.maximumCount, "field index \(index) out of range")
            withUnsafeMutableBytes(of: &storage) {
                $0.storeBytes(of: newValue, toByteOffset: index * 8, as: UInt64.self)
            }
        }
    }

    func isZero(count: Int) -> Bool {
        (0..<count).allSatisfy { self[$0] == 0 }
    }
}

/// The exponent of each field of a chunk, nil for a field in XOR mode, without allocating.
struct FieldExponents {
    /// The code of nil, which no exponent has, because exponents are -9...6.
    private static let xor = Int8.min
    private var storage: (Int8, Int8, Int8, Int8, Int8) = (xor, xor, xor, xor, xor)

    subscript(index: Int) -> Int? {
        get {
            precondition(index >= 0 && index < PointValues.maximumCount, "field index \(index) out of range")
            let code = withUnsafeBytes(of: storage) { $0.load(fromByteOffset: index, as: Int8.self) }
            return code == FieldExponents.xor ? nil : Int(code)
        }
        set {
            precondition(index >= 0 && index < PointValues.maximumCount, "field index \(index) out of range")
            let code = newValue.map { Int8($0) } ?? FieldExponents.xor
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: code, toByteOffset: index, as: Int8.self) }
        }
    }

    func mode(of index: Int) -> FieldMode {
        self[index].map { .scaled(exponent: $0) } ?? .xor
    }
}
