import XCTest

@testable import EmberHistory

/// A bucket keeps the largest decimal exponent its values need. The shortcut for a value that the
/// known exponent already stores must give what the full search gives.
final class ExponentWideningTests: XCTestCase {
    private static let knownExponents: [Int8] = [-9, -6, -3, 0, 1, 2, 3, 4, 5, 6]

    private static let specialValues: [Double] = [
        0, -0.0, 1, -1, 41, 41.615, 45.1, 1000, 3000, 1_416_000_000, 2_000_000_000_000, 0.5, 1e-6, 1e-7,
        1.0 / 3.0, 0.1 + 0.2, 123_456_789.123, 9_007_199_254_740_992, 1e300, -1e300, .nan, .infinity,
        -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
    ]

    private func assertMatchesSearch(_ value: Double, file: StaticString = #filePath, line: UInt = #line) {
        for known in Self.knownExponents {
            let expected = FieldMode.exponent(for: value).map { max(Int8($0), known) }
            XCTAssertEqual(BucketAccumulator.exponent(known, widenedFor: value), expected,
                           "value \(value), known exponent \(known)", file: file, line: line)
        }
    }

    func testSpecialValues() {
        for value in Self.specialValues {
            assertMatchesSearch(value)
        }
    }

    /// Checks decimals with 0 to 9 fractional digits and integers with trailing zeros, as kernel sources give them.
    func testGeneratedDecimals() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let digits = Int.random(in: 0...9, using: &generator)
            let integer = Int64.random(in: -10_000_000_000...10_000_000_000, using: &generator)
            let decimal = Double(integer) / pow(10, Double(digits))
            assertMatchesSearch(decimal)
            assertMatchesSearch(Double(integer / 1000) * 1000)
        }
    }
}
