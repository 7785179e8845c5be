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
    /// Sonames to try in order; the first that loads is used.
    let names: [String]
    /// The feature that needs the library, such as "TLS in --web.config.file".
    let feature: String
    /// The packages to install when the library or one of its functions is missing.
    let installHint: String
}

/// A library opened with dlopen. It stays open for the life of the process once its functions are in
/// use, because nothing tracks which calls through the table are still running.
struct SharedLibrary {
    /// The soname that loaded.
    let name: String
    let handle: UnsafeMutableRawPointer

    /// Opens the first of the requirement's names that loads. RTLD_NOW resolves the library's own
    /// references at once, so a broken installation fails here rather than in the first handshake.
    static func open(_ requirement: LibraryRequirement) throws(LibraryLoadError) -> SharedLibrary {
        var firstError = "no library names given"
        for (index, name) in requirement.names.enumerated() {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                return SharedLibrary(name: name, handle: handle)
            }
            if index == 0 { firstError = lastDynamicLinkerError() }
        }
        let names = requirement.names.joined(separator: " or ")
        throw LibraryLoadError(message: "failed to load \(names), which \(requirement.feature) needs: \(firstError). "
                               + requirement.installHint)
    }

    /// Looks up every symbol and returns its address with its offset in the table. Throws on the
    /// first symbol the library does not export, such as a function an older major version lacks.
    func resolve(_ symbols: UnsafeBufferPointer<ember_symbol>, for requirement: LibraryRequirement)
        throws(LibraryLoadError) -> [ResolvedSymbol]
    {
        var resolved: [ResolvedSymbol] = []
        for symbol in symbols {
            let symbolName = String(cString: symbol.name)
            guard let address = dlsym(handle, symbol.name) else {
                throw LibraryLoadError(message: "\(name) has no function \(symbolName), which \(requirement.feature) "
                                       + "needs: \(lastDynamicLinkerError()). \(requirement.installHint)")
            }
            resolved.append(ResolvedSymbol(offset: symbol.offset, address: address))
        }
        return resolved
    }

    func close() {
        dlclose(handle)
    }

    private static func lastDynamicLinkerError() -> String {
        dlerror().map { String(cString: $0) } ?? "no error reported by the dynamic linker"
    }

    private func lastDynamicLinkerError() -> String {
        Self.lastDynamicLinkerError()
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
