import Glibc
import XCTest

@testable import EmberExposition

/// The Swift SHA-256 against the FIPS 180-4 examples and against libcrypto's SHA256.
final class SHA256Tests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    func testStandardExamples() {
        XCTAssertEqual(hex(SHA256.hash([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(SHA256.hash(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testMillionRepeatedBytes() {
        let digest = SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))

        XCTAssertEqual(hex(digest), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length up to three blocks, so each padding case (55, 56, 63 and 64 bytes) is compared.
    func testMatchesLibcryptoAtEveryPaddingLength() throws {
        let library = try XCTUnwrap(dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL), "libcrypto.so.3 is not installed")
        defer { dlclose(library) }
        typealias Digest = @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?)
            -> UnsafeMutablePointer<UInt8>?
        let reference = unsafeBitCast(try XCTUnwrap(dlsym(library, "SHA256")), to: Digest.self)

        for length in 0...192 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var expected = [UInt8](repeating: 0, count: SHA256.digestLength)
            _ = reference(message, message.count, &expected)

            XCTAssertEqual(SHA256.hash(message), expected, "length \(length)")
        }
    }
}
