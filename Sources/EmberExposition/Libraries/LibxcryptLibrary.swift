import CCrypt
import Synchronization

/// libxcrypt's functions, resolved by ``LibxcryptLibrary/load()``. ``Bcrypt`` checks that it is loaded
/// before each call.
var libxcrypt: ember_crypt_functions { ember_crypt().pointee }

/// Loads libxcrypt with dlopen, once per process.
///
/// libcrypt.so.1 is the soname of libxcrypt built with the glibc-compatible interface (Debian, Ubuntu,
/// Fedora). libcrypt.so.2 is the soname of libxcrypt built without it (Arch Linux), and has the same
/// crypt_rn and crypt_gensalt_rn. glibc's own libcrypt.so.1, which distributions shipped before
/// libxcrypt, has neither function, so the load goes on to libcrypt.so.2 and reports both when that
/// fails too.
public enum LibxcryptLibrary {
    static let libcrypt = LibraryRequirement(
        names: ["libcrypt.so.1", "libcrypt.so.2"], feature: "basic_auth_users in --web.config.file",
        installHint: "Install libxcrypt (Debian and Ubuntu: libcrypt1, Fedora: libxcrypt, Arch Linux: libxcrypt)")

    /// True once the table is filled. It is set under the lock, after the last pointer is written.
    private static let loaded = Mutex(false)

    /// Loads the library and fills the function table. Later calls return at once.
    public static func load() throws(LibraryLoadError) {
        try loaded.withLock { (loaded: inout Bool) throws(LibraryLoadError) in
            guard !loaded else { return }

            let symbols = try resolve(libcrypt)
            ResolvedSymbol.install(symbols, into: UnsafeMutableRawPointer(mutating: ember_crypt()))
            loaded = true
        }
    }

    public static var isLoaded: Bool { loaded.withLock { $0 } }

    /// Opens the library and looks up every function without touching the table, so a test can pass
    /// names that fail.
    static func resolve(_ requirement: LibraryRequirement) throws(LibraryLoadError) -> [ResolvedSymbol] {
        try SharedLibrary.load(requirement, symbols: symbolList(ember_libcrypt_symbols)).symbols
    }
}
