#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CCrypt

/// bcrypt through the system's libxcrypt (`crypt_rn`), which accepts the `$2a$`, `$2b$` and `$2y$`
/// prefixes that htpasswd and Go's bcrypt package write. Until ``LibxcryptLibrary/load()`` has
/// succeeded, ``compute(password:setting:)`` and ``makeSetting(cost:)`` return nil, so every password
/// is rejected.
enum Bcrypt {
    /// Tells whether `text` has the shape of a bcrypt hash: a known prefix, a two-digit cost and 53
    /// characters of salt and digest.
    static func isHash(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let prefixes = ["$2a$", "$2b$", "$2y$"].map { Array($0.utf8) }
        guard bytes.count == 60, prefixes.contains(Array(bytes[0..<4])) else { return false }
        return bytes[4...5].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && bytes[6] == UInt8(ascii: "$")
    }

    /// Returns the cost (log2 of the rounds) of a hash that passes ``isHash(_:)``.
    static func cost(_ hash: String) -> Int? {
        guard isHash(hash) else { return nil }
        return Int(hash.dropFirst(4).prefix(2))
    }

    /// Hashes `password` with the salt and cost of `setting` (a full hash or a salt from ``makeSetting(cost:)``).
    /// Returns nil when libxcrypt is not loaded or rejects the setting, or the password contains a NUL byte.
    static func compute(password: String, setting: String) -> String? {
        guard LibxcryptLibrary.isLoaded, !password.utf8.contains(0) else { return nil }

        // struct crypt_data is about 32 KiB, too big for the loop thread's stack frames to repeat.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            // The work area held the password's key schedule.
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)

        guard let result = libxcrypt.crypt_rn(password, setting, data, Int32(MemoryLayout<crypt_data>.size)) else {
            return nil
        }
        return String(cString: result)
    }

    /// Makes a `$2b$` setting with a random salt from libxcrypt's entropy source.
    static func makeSetting(cost: Int) -> String? {
        guard LibxcryptLibrary.isLoaded else { return nil }

        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard libxcrypt.crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &output, Int32(output.count)) != nil else {
            return nil
        }
        return output.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Checks `password` against `hash` and compares the results in constant time, so response timing
    /// does not reveal how many leading characters matched.
    static func verify(password: String, hash: String) -> Bool {
        guard let computed = compute(password: password, setting: hash) else { return false }
        return constantTimeEqual(Array(computed.utf8), Array(hash.utf8))
    }

    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices {
            difference |= left[index] ^ right[index]
        }
        return difference == 0
    }
}
