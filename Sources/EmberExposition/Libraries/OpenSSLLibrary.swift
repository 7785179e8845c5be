import COpenSSL
import Synchronization

/// OpenSSL's functions, resolved by ``OpenSSLLibrary/load()``. Every TLS type calls OpenSSL through it,
/// and ``TLSServerContext`` loads the library before it makes the first call.
var openSSL: ember_openssl_functions { ember_openssl().pointee }

/// Loads libssl and libcrypto of OpenSSL 3 with dlopen, once per process.
///
/// Only the OpenSSL 3 sonames are tried. The headers the agent is built with are OpenSSL 3's, and
/// OpenSSL 1.1 differs in structure layouts and lacks functions such as SSL_get0_peer_certificate. The
/// unversioned libssl.so is left out because only development packages install it and it may point to
/// another major version.
public enum OpenSSLLibrary {
    static let libssl = LibraryRequirement(names: ["libssl.so.3"], feature: "TLS in --web.config.file",
                                           installHint: installHint)
    static let libcrypto = LibraryRequirement(names: ["libcrypto.so.3"], feature: "TLS in --web.config.file",
                                              installHint: installHint)
    private static let installHint = "Install OpenSSL 3 (Debian and Ubuntu: libssl3 or libssl3t64, Fedora: "
        + "openssl-libs, Alpine: libssl3)"

    /// True once the table is filled. It is set under the lock, after the last pointer is written.
    private static let loaded = Mutex(false)

    /// Loads the libraries and fills the function table. Later calls return at once.
    public static func load() throws(LibraryLoadError) {
        try loaded.withLock { (loaded: inout Bool) throws(LibraryLoadError) in
            guard !loaded else { return }

            let symbols = try resolve(libssl: libssl, libcrypto: libcrypto)
            ResolvedSymbol.install(symbols, into: UnsafeMutableRawPointer(mutating: ember_openssl()))
            loaded = true
        }
    }

    public static var isLoaded: Bool { loaded.withLock { $0 } }

    /// Opens both libraries and looks up every function without touching the table, so a test can pass
    /// names that fail. Closes libcrypto again when libssl fails to load.
    static func resolve(libssl: LibraryRequirement, libcrypto: LibraryRequirement)
        throws(LibraryLoadError) -> [ResolvedSymbol]
    {
        let crypto = try SharedLibrary.load(libcrypto, symbols: symbolList(ember_libcrypto_symbols))
        do throws(LibraryLoadError) {
            let ssl = try SharedLibrary.load(libssl, symbols: symbolList(ember_libssl_symbols))
            return crypto.symbols + ssl.symbols
        } catch {
            crypto.close()
            throw error
        }
    }
}
