#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEmberShims
import CPCI
import EmberCore
import Synchronization

/// A libpci call that failed, with libpci's own message where it gave one.
struct LibPCIError: Error, Sendable, CustomStringConvertible {
    let operation: String
    let code: Int32
    let message: String

    var description: String {
        let reason = message.isEmpty ? Errno.message(of: code) : message
        return "libpci \(operation) failed: \(reason)"
    }
}

/// One libpci access handle: the pci.ids name database plus one way of reading configuration
/// space. Calls are serialized because libpci keeps per-handle state (the cached `config` file
/// descriptor, the name hash) without locking.
final class LibPCIAccess {
    enum Method {
        /// The Linux sysfs method, reading `<path>/devices/*/config`; `path` is the `bus/pci`
        /// directory under the configured sysfs root.
        case sysfs(busPath: String)
        /// An `lspci -x`, `-xxx` or `-xxxx` dump file.
        case dump(file: String)
    }

    private let handle: UnsafeMutablePointer<pci_access>
    private let lock = Mutex(())

    init(_ method: Method) throws(LibPCIError) {
        let (code, parameter, value) = switch method {
        case .sysfs(let busPath): (PCI_ACCESS_SYS_BUS_PCI.rawValue, "sysfs.path", busPath)
        case .dump(let file): (PCI_ACCESS_DUMP.rawValue, "dump.name", file)
        }
        var created: UnsafeMutablePointer<pci_access>?
        let result = ember_pci_open(Int32(code), parameter, value, &created)
        guard result == 0, let created else {
            throw LibPCIError(operation: "init (\(parameter)=\(value))", code: result, message: Self.lastMessage())
        }
        handle = created
    }

    deinit {
        ember_pci_close(handle)
    }

    /// Returns the vendor's name in pci.ids, or nil when pci.ids does not list it.
    func vendorName(_ vendor: UInt16) -> String? {
        lookup { ember_pci_lookup_vendor(handle, UInt32(vendor), $0, $1) }
    }

    func deviceName(vendor: UInt16, device: UInt16) -> String? {
        lookup { ember_pci_lookup_device(handle, UInt32(vendor), UInt32(device), $0, $1) }
    }

    /// Returns the name of the base class and subclass (`Non-Volatile memory controller`).
    /// The programming interface byte is not part of the lookup.
    func className(_ classCode: UInt32) -> String? {
        lookup { ember_pci_lookup_class(handle, classCode >> 8, $0, $1) }
    }

    /// Frees libpci's parsed copy of pci.ids, a few MiB that would otherwise stay allocated for
    /// as long as the handle lives. Callers cache the names they need.
    func releaseNames() {
        lock.withLock { _ in ember_pci_free_names(handle) }
    }

    /// Reads `length` bytes of configuration space from `offset`.
    func readConfig(_ address: PCIAddress, offset: Int, length: Int) throws(LibPCIError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        let code = lock.withLock { _ in
            bytes.withUnsafeMutableBufferPointer { buffer in
                ember_pci_read_config(handle, address.shim, UInt32(offset), buffer.baseAddress, length)
            }
        }
        guard code == 0 else {
            throw LibPCIError(operation: "read of \(address) config", code: code, message: Self.lastMessage())
        }
        return bytes
    }

    /// Lists the functions the access method finds, in address order.
    func scan() throws(LibPCIError) -> [PCIAddress] {
        var capacity = 256
        while true {
            var addresses = [ember_pci_address](repeating: ember_pci_address(), count: capacity)
            var count = 0
            let code = lock.withLock { _ in
                addresses.withUnsafeMutableBufferPointer { ember_pci_scan(handle, $0.baseAddress, capacity, &count) }
            }
            if code == ERANGE {
                capacity = count
                continue
            }
            guard code == 0 else {
                throw LibPCIError(operation: "scan", code: code, message: Self.lastMessage())
            }
            return addresses.prefix(count).map(PCIAddress.init(shim:)).sorted()
        }
    }

    private func lookup(_ call: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let code = lock.withLock { _ in
            buffer.withUnsafeMutableBufferPointer { call($0.baseAddress!, $0.count) }
        }
        guard code == 0 else { return nil }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return Text.decodeReplacingInvalid(bytes)
    }

    private static func lastMessage() -> String {
        guard let message = ember_pci_last_message() else { return "" }
        return String(cString: message)
    }
}

extension PCIAddress {
    fileprivate var shim: ember_pci_address {
        ember_pci_address(domain: Int32(domain), bus: Int32(bus), device: Int32(device), function: Int32(function))
    }

    fileprivate init(shim: ember_pci_address) {
        self.init(domain: Int(shim.domain), bus: Int(shim.bus), device: Int(shim.device), function: Int(shim.function))
    }
}
