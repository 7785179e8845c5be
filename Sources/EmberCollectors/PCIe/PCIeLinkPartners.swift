/// Pairs each function with the function at the other end of its PCI Express link, so that a
/// link is judged against what both ends support rather than against one end's maximum.
///
/// A link joins a downstream-facing port (a root port or a switch's downstream port) to an
/// upstream-facing one (an endpoint or a switch's upstream port). The parent relation alone
/// distinguishes them, because a bridge without a bridge above it is a root port, and below it
/// bridges alternate between switch upstream ports and switch downstream ports.
enum PCIeLinkPartners {
    /// Each bridge on a path owns a bus number, and a domain has 256, so a longer chain of
    /// parents is a cycle, which only inconsistent bus numbers in a dump can produce.
    private static let maxDepth = 256

    /// Returns `devices` with `partnerMaxSpeed` and `partnerMaxWidth` of each link set from the
    /// other end, or left nil where that end is not among `devices` or does not export them.
    static func assign(_ devices: [PCIDeviceReading]) -> [PCIDeviceReading] {
        let byAddress = Dictionary(devices.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        var children: [PCIAddress: [PCIDeviceReading]] = [:]
        for device in devices {
            if let parent = device.parent {
                children[parent, default: []].append(device)
            }
        }

        return devices.map { device in
            let partner: (speed: Double?, width: Int?)?
            if device.isBridge, facesDownstream(device, byAddress, depth: 0) {
                partner = capability(ofFunctions: children[device.address] ?? [])
            } else {
                partner = device.parent.flatMap { byAddress[$0] }.map { ($0.link.maxSpeed, $0.link.maxWidth) }
            }

            var paired = device
            paired.link.partnerMaxSpeed = partner?.speed
            paired.link.partnerMaxWidth = partner?.width
            return paired
        }
    }

    /// Returns whether the bridge's link leads to its secondary bus. That is true for a root port
    /// and a switch downstream port, and false for a switch upstream port, whose link leads up.
    private static func facesDownstream(
        _ bridge: PCIDeviceReading, _ byAddress: [PCIAddress: PCIDeviceReading], depth: Int
    ) -> Bool {
        guard depth < maxDepth, let parent = bridge.parent.flatMap({ byAddress[$0] }), parent.isBridge else {
            return true
        }
        return !facesDownstream(parent, byAddress, depth: depth + 1)
    }

    /// Returns the maxima of the device below a downstream-facing port. All its functions sit behind one
    /// upstream port and share the link, so they should agree. Function 0, which every device
    /// implements, is used where it exports a value. Otherwise the highest value among the
    /// other functions is used, so that one function exporting a lower value cannot hide a
    /// downgrade.
    private static func capability(ofFunctions functions: [PCIDeviceReading]) -> (speed: Double?, width: Int?) {
        let first = functions.first { $0.address.device == 0 && $0.address.function == 0 }?.link
        let speed = first?.maxSpeed ?? functions.compactMap(\.link.maxSpeed).max()
        let width = first?.maxWidth ?? functions.compactMap(\.link.maxWidth).max()
        return (speed, width)
    }
}
