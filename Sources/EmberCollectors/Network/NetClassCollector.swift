#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// The `netclass` collector: node_exporter 1.5's `node_network_*` properties of every interface
/// under `class/net`.
///
/// Deviation from node_exporter 1.5: an unknown link speed is omitted (see
/// ``NetClassCollector/speedBytes(megabitsPerSecond:)``), where 1.5 exports `-125000`.
public final class NetClassCollector: Collector {
    static let info = MetricDescriptor(
        "node_network_info", "Text attributes of a network interface from class/net; always 1.",
        labels: ["address", "broadcast", "device", "duplex", "ifalias", "operstate"])
    static let up = MetricDescriptor(
        "node_network_up", "1 if the interface's operstate is \"up\", else 0.", labels: ["device"])
    static let speed = MetricDescriptor(
        "node_network_speed_bytes", "Link speed in bytes per second (the speed attribute is Mbit/s).",
        labels: ["device"])

    /// Numeric attributes exported unchanged: the sysfs file, whether it is settled, and the
    /// family it feeds.
    ///
    /// A settled attribute changes only when the interface is reconfigured (`ip link set`) or
    /// created, and is read again only at a rescan (`SourceReader.settledString(_:)`). Link state,
    /// flags and counters change while the system runs and are read at every sample.
    static let numericAttributes: [(file: String, settled: Bool, descriptor: MetricDescriptor)] = [
        ("addr_assign_type", true, property(
            "address_assign_type", "How the hardware address was assigned (0 permanent, 1 random, 2 stolen, 3 set).")),
        ("carrier", false, property("carrier", "1 if the physical link is up, else 0.")),
        ("carrier_changes", false, property(
            "carrier_changes_total", "Link state changes since the interface was created.", .counter)),
        ("carrier_up_count", false, property("carrier_up_changes_total", "Changes of the link to up.", .counter)),
        ("carrier_down_count", false, property("carrier_down_changes_total", "Changes of the link to down.", .counter)),
        ("dev_id", true, property("device_id", "Distinguishes interfaces that share one hardware address.")),
        ("dormant", false, property("dormant", "1 if the interface waits for an external event (RFC 2863 dormant).")),
        ("flags", false, property("flags", "Interface flags (IFF_UP and others, as in netdevice(7)).")),
        ("ifindex", true, property("iface_id", "The interface index.")),
        ("iflink", true, property("iface_link", "Index of the interface this one is stacked on, or its own index.")),
        ("link_mode", true, property("iface_link_mode", "Link mode (0 default, 1 dormant, 2 testing).")),
        ("mtu", true, property("mtu_bytes", "Maximum transmission unit in bytes.")),
        ("name_assign_type", true, property(
            "name_assign_type", "How the name was assigned (1 enumerated, 2 predictable, 3 user, 4 renamed).")),
        ("netdev_group", true, property("net_dev_group", "The interface's device group.")),
        ("tx_queue_len", true, property("transmit_queue_length", "Transmit queue length in packets.")),
        ("type", true, property("protocol_type", "Hardware type (ARPHRD_* from if_arp.h; 1 is Ethernet).")),
    ]

    /// Text attributes of ``info``, in its label order apart from `device`, and whether each is
    /// settled: addresses and the alias change only with the configuration.
    static let textAttributes: [(file: String, settled: Bool)] = [
        ("address", true), ("broadcast", true), ("duplex", false), ("ifalias", true), ("operstate", false),
    ]

    /// Errors that mean "not applicable to this interface now": the kernel returns EINVAL for
    /// `carrier`, `speed` and `duplex` on an interface that is administratively down, and for
    /// `name_assign_type` when the type is unknown, and EOPNOTSUPP when the driver lacks the call.
    static let notApplicable: Set<Int32> = [EINVAL, EOPNOTSUPP]

    private let reader: SourceReader
    private var interfaces = ListingPlan<NetInterfacePaths>()

    public init(context: CollectorContext) {
        reader = context.reader
    }

    public func update(into sink: inout MetricSink) throws {
        let root = reader.roots.sys("class/net")
        let entries = try reader.optionalEntries(root)
        for interface in interfaces.values(for: entries, { NetInterfacePaths(device: $0, root: root) }) {
            // `bonding_masters` is a file beside the interface directories.
            if reader.fileSystem.fileKind(interface.directory) == .directory {
                addInterface(interface, into: &sink)
            }
        }
    }

    private func addInterface(_ interface: NetInterfacePaths, into sink: inout MetricSink) {
        addInfo(interface, into: &sink)
        for (path, attribute) in zip(interface.numeric, NetClassCollector.numericAttributes) {
            if let value = readInteger(path, settled: attribute.settled, into: &sink) {
                sink.add(attribute.descriptor, Double(value), labelValues: interface.deviceLabel)
            }
        }
        if let megabits = readInteger(interface.speed, settled: false, into: &sink),
           let bytes = NetClassCollector.speedBytes(megabitsPerSecond: megabits) {
            sink.add(NetClassCollector.speed, bytes, labelValues: interface.deviceLabel)
        }
    }

    /// Adds `node_network_info` and `node_network_up`. An absent attribute, or a `duplex` the
    /// kernel cannot report now (EINVAL while the link is down), becomes an empty label, as in
    /// node_exporter. A failed read omits both series, so a read error never turns into
    /// `node_network_up 0` or an empty address.
    private func addInfo(_ interface: NetInterfacePaths, into sink: inout MetricSink) {
        // Values of ``textAttributes``, in that order.
        var values: [String] = []
        values.reserveCapacity(NetClassCollector.textAttributes.count)
        for (path, (file, settled)) in zip(interface.text, NetClassCollector.textAttributes) {
            do {
                values.append(try settled ? reader.settledString(path) : reader.string(path))
            } catch let error as FileError where NetClassCollector.isUnregistering(error, file: file) {
                return
            } catch let error as FileError
                where error.isNotFound || (file == "duplex" && NetClassCollector.notApplicable.contains(error.code)) {
                values.append("")
            } catch {
                sink.record(error)
                return
            }
        }

        let (address, broadcast, duplex, ifalias, operstate) = (values[0], values[1], values[2], values[3], values[4])
        sink.add(NetClassCollector.up, operstate == "up" ? 1 : 0, labelValues: interface.deviceLabel)
        sink.add(NetClassCollector.info, 1, address, broadcast, interface.device, duplex, ifalias, operstate)
    }

    /// Returns whether `error` shows the interface going away during the read: every interface
    /// has `operstate`, and the kernel returns EINVAL for `address` and `broadcast` once the
    /// device is no longer alive (`dev_isalive` in net/core/net-sysfs.c).
    private static func isUnregistering(_ error: FileError, file: String) -> Bool {
        switch file {
        case "operstate": error.isNotFound
        case "address", "broadcast": error.code == EINVAL
        default: false
        }
    }

    /// Reads an integer attribute; an absent or not applicable one is nil and records nothing.
    private func readInteger(_ path: String, settled: Bool, into sink: inout MetricSink) -> Int64? {
        reader.readOrRecord(path, into: &sink, ignoring: NetClassCollector.notApplicable) { path in
            switch try AttributeBytes.read(
                path, from: reader.fileSystem, settled: settled, parsing: NetClassCollector.plainInteger) {
            case .parsed(let value):
                return value
            case .unparsed(let bytes):
                return try NetClassCollector.integer(bytes, path: path)
            }
        }
    }

    /// Converts a `speed` in Mbit/s to bytes per second, or returns nil for an unknown speed.
    ///
    /// Unknown is -1 (the kernel's SPEED_UNKNOWN) or any other value ≤ 0, 65535 (a 16-bit
    /// SPEED_UNKNOWN some drivers report) and 4294967295 (SPEED_UNKNOWN read as unsigned).
    public static func speedBytes(megabitsPerSecond: Int64) -> Double? {
        guard megabitsPerSecond > 0, megabitsPerSecond != 65_535, megabitsPerSecond != 4_294_967_295 else {
            return nil
        }
        return Double(megabitsPerSecond) * 125_000
    }

    /// Parses a decimal or `0x`-prefixed hexadecimal integer: `flags` and `dev_id` are printed in
    /// hex, the other attributes in decimal.
    public static func parseInteger(_ text: String, path: String) throws -> Int64 {
        let parsed = text.hasPrefix("0x") ? Int64(text.dropFirst(2), radix: 16) : Int64(text)
        guard let value = parsed else {
            throw ParseError(path: path, expected: "a decimal or 0x-prefixed hexadecimal integer", content: text)
        }
        return value
    }

    /// Parses the bytes of an attribute as ``parseInteger(_:path:)`` parses its text.
    ///
    /// Decimal digits, with a leading `-`, and `0x` followed by hex digits are converted from the
    /// bytes. That skips making a `String`, about 1 000 instructions per attribute. Anything else
    /// is decoded as `SourceReader.string(_:)` decodes it and parsed as text, so errors stay the same.
    static func integer(_ bytes: [UInt8], path: String) throws -> Int64 {
        if let value = AttributeBytes.withContent(bytes, plainInteger) {
            return value
        }
        return try parseInteger(Text.attributeString(bytes), path: path)
    }

    /// Returns the value of `-`? and 1 to 18 decimal digits, or of `0x` and 1 to 15 hex digits.
    /// The digit limits keep the value inside `Int64`. Returns nil for any other content.
    private static func plainInteger(_ content: Slice<UnsafeBufferPointer<UInt8>>) -> Int64? {
        if content.starts(with: [UInt8(ascii: "0"), UInt8(ascii: "x")]) {
            return digitsValue(content.dropFirst(2), radix: 16, maxDigits: 15)
        }
        if content.first == UInt8(ascii: "-") {
            return digitsValue(content.dropFirst(), radix: 10, maxDigits: 18).map { -$0 }
        }
        return digitsValue(content, radix: 10, maxDigits: 18)
    }

    private static func digitsValue(_ digits: Slice<UnsafeBufferPointer<UInt8>>, radix: Int64, maxDigits: Int) -> Int64? {
        guard !digits.isEmpty, digits.count <= maxDigits else { return nil }

        var value: Int64 = 0
        for byte in digits {
            let digit: Int64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: digit = Int64(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16: digit = Int64(byte - UInt8(ascii: "A")) + 10
            default: return nil
            }
            value = value * radix + digit
        }
        return value
    }

    private static func property(_ suffix: String, _ help: String, _ type: MetricType = .gauge) -> MetricDescriptor {
        MetricDescriptor("node_network_" + suffix, help, type: type, labels: ["device"])
    }
}
