#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEmberShims

/// An error that stops a library from loading that the web configuration needs. The message names the
/// library, the missing function if any, and the package to install.
public struct LibraryLoadError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public var description: String { message }
}

/// A library that a feature of the web configuration loads on demand, and how to name it in errors.
struct LibraryRequirement: Sendable {
    /// Sonames to try in order. The first that loads and exports every function is used.
    let names: [String]
    /// The feature that needs the library, such as "TLS in --web.config.file".
    let feature: String
    /// The packages to install when the library or one of its functions is missing.
    let installHint: String
}

/// A library opened with dlopen, with the address of every function the agent calls in it. It stays
/// open for the life of the process once its functions are in use, because nothing tracks which calls
/// through the table are still running.
struct SharedLibrary {
    /// The soname that loaded.
    let name: String
    let handle: UnsafeMutableRawPointer
    let symbols: [ResolvedSymbol]

    /// Opens the first of the requirement's names that loads and exports every function in `symbols`.
    /// A library that lacks one is closed and the next name tried, because an older library may own
    /// the soname, such as glibc's own libcrypt.so.1 without crypt_rn. RTLD_NOW
    /// resolves the library's own references at once, so a broken installation fails here rather
    /// than in the first handshake.
    static func load(_ requirement: LibraryRequirement, symbols: UnsafeBufferPointer<ember_symbol>)
        throws(LibraryLoadError) -> SharedLibrary
    {
        var failures: [String] = []
        for name in requirement.names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                failures.append(dlerror().map { String(cString: $0) } ?? "\(name) could not be opened")
                continue
            }

            let (resolved, missing) = resolve(symbols, in: handle)
            guard let missing else { return SharedLibrary(name: name, handle: handle, symbols: resolved) }
            dlclose(handle)
            failures.append("\(name) has no function \(missing)")
        }
        let names = requirement.names.joined(separator: " or ")
        throw LibraryLoadError(message: "failed to load \(names), which \(requirement.feature) needs: "
                               + failures.joined(separator: "; ") + ". " + requirement.installHint)
    }

    /// Returns the address of every function, or the name of the first one the library does not export.
    private static func resolve(_ symbols: UnsafeBufferPointer<ember_symbol>, in handle: UnsafeMutableRawPointer)
        -> (resolved: [ResolvedSymbol], missing: String?)
    {
        var resolved: [ResolvedSymbol] = []
        for symbol in symbols {
            guard let address = dlsym(handle, symbol.name) else { return ([], String(cString: symbol.name)) }
            resolved.append(ResolvedSymbol(offset: symbol.offset, address: address))
        }
        return (resolved, nil)
    }

    func close() {
        dlclose(handle)
    }
}

/// The address of one function and where it goes in its library's table of function pointers.
struct ResolvedSymbol {
    let offset: Int
    let address: UnsafeMutableRawPointer

    /// Writes every address into `table`, a C struct of function pointers such as `ember_openssl_table`.
    static func install(_ symbols: [ResolvedSymbol], into table: UnsafeMutableRawPointer) {
        for symbol in symbols {
            table.storeBytes(of: symbol.address, toByteOffset: symbol.offset, as: UnsafeMutableRawPointer.self)
        }
    }
}

/// The symbol list a C target returns with a count out-parameter. The lists are static arrays, so the
/// buffer stays valid for the life of the process.
func symbolList(
    _ list: (UnsafeMutablePointer<Int>) -> UnsafePointer<ember_symbol>
) -> UnsafeBufferPointer<ember_symbol> {
    var count = 0
    let start = list(&count)
    return UnsafeBufferPointer(start: start, count: count)
}
