import CCrypt
import COpenSSL
import XCTest

@testable import EmberExposition

/// Loading OpenSSL and libxcrypt with dlopen, with library names injected to make each failure happen.
final class LibraryLoadingTests: XCTestCase {
    private func requirement(_ names: [String], feature: String = "TLS in --web.config.file") -> LibraryRequirement {
        LibraryRequirement(names: names, feature: feature, installHint: "Install the test package")
    }

    func testMissingLibraryNamesItAndTheFix() {
        XCTAssertThrowsError(try OpenSSLLibrary.resolve(libssl: OpenSSLLibrary.libssl,
                                                        libcrypto: requirement(["libember-missing.so.3"]))) { error in
            let message = (error as? LibraryLoadError)?.message ?? "\(error)"
            XCTAssertTrue(message.hasPrefix(
                "failed to load libember-missing.so.3, which TLS in --web.config.file needs: "), message)
            XCTAssertTrue(message.contains("libember-missing.so.3: cannot open shared object file"), message)
            XCTAssertTrue(message.hasSuffix(". Install the test package"), message)
        }
    }

    func testMissingFunctionNamesLibraryAndSymbol() {
        // zlib loads but has none of libssl's functions, as an OpenSSL of another major version would lack some.
        XCTAssertThrowsError(try OpenSSLLibrary.resolve(libssl: requirement(["libz.so.1"]),
                                                        libcrypto: OpenSSLLibrary.libcrypto)) { error in
            let message = (error as? LibraryLoadError)?.message ?? "\(error)"
            XCTAssertEqual(message, "failed to load libz.so.1, which TLS in --web.config.file needs: libz.so.1 has "
                           + "no function TLS_server_method. Install the test package")
        }
    }

    func testMissingLibxcryptFunctionIsReported() {
        let zlib = requirement(["libz.so.1"], feature: "basic_auth_users in --web.config.file")

        XCTAssertThrowsError(try LibxcryptLibrary.resolve(zlib)) { error in
            let message = (error as? LibraryLoadError)?.message ?? "\(error)"
            XCTAssertEqual(message, "failed to load libz.so.1, which basic_auth_users in --web.config.file needs: "
                           + "libz.so.1 has no function crypt_rn. Install the test package")
        }
    }

    func testLaterNameIsTriedWhenFirstIsMissing() throws {
        let fallback = requirement(["libember-missing.so.2", "libcrypt.so.1"])

        let symbols = try LibxcryptLibrary.resolve(fallback)

        XCTAssertEqual(symbols.count, 2)
    }

    func testLaterNameIsTriedWhenFirstLacksFunction() throws {
        let fallback = requirement(["libz.so.1", "libcrypt.so.1"])

        let symbols = try LibxcryptLibrary.resolve(fallback)

        XCTAssertEqual(symbols.count, 2)
    }

    func testEveryFailedNameIsReported() {
        let names = requirement(["libember-missing.so.1", "libz.so.1"], feature: "basic_auth_users")

        XCTAssertThrowsError(try LibxcryptLibrary.resolve(names)) { error in
            let message = (error as? LibraryLoadError)?.message ?? "\(error)"
            XCTAssertTrue(message.hasPrefix("failed to load libember-missing.so.1 or libz.so.1, which basic_auth_users "
                                            + "needs: libember-missing.so.1: cannot open shared object file"), message)
            XCTAssertTrue(message.hasSuffix("; libz.so.1 has no function crypt_rn. Install the test package"), message)
        }
    }

    func testDefaultNamesResolveEveryFunction() throws {
        let openSSL = try OpenSSLLibrary.resolve(libssl: OpenSSLLibrary.libssl, libcrypto: OpenSSLLibrary.libcrypto)
        let crypt = try LibxcryptLibrary.resolve(LibxcryptLibrary.libcrypt)

        XCTAssertEqual(openSSL.count, MemoryLayout<ember_openssl_functions>.size / MemoryLayout<UnsafeRawPointer>.size)
        XCTAssertEqual(crypt.count, MemoryLayout<ember_crypt_functions>.size / MemoryLayout<UnsafeRawPointer>.size)
        XCTAssertEqual(Set(openSSL.map(\.offset)).count, openSSL.count, "two functions share a table slot")
    }

    func testFailedResolveLeavesLoadWorking() throws {
        _ = try? LibxcryptLibrary.resolve(requirement(["libember-missing.so.1"]))

        try LibxcryptLibrary.load()
        try OpenSSLLibrary.load()

        XCTAssertTrue(LibxcryptLibrary.isLoaded)
        XCTAssertTrue(OpenSSLLibrary.isLoaded)
        let setting = try XCTUnwrap(Bcrypt.makeSetting(cost: 4))
        XCTAssertTrue(setting.hasPrefix("$2b$04$"), setting)
    }
}
