import EmberCore

/// The rule of ``TemperatureRange`` that applies to an attribute: a measured temperature out of
/// range is an error, a limit out of range means "no threshold", and other attributes are not checked.
enum HwmonTemperatureRole {
    case reading
    case limit
    case unchecked
}

/// One memoized family with its descriptor and temperature role.
///
/// A class, so that a memo hit retains one reference instead of copying the family's strings.
final class HwmonFamilyEntry {
    let family: HwmonFamily
    let descriptor: MetricDescriptor
    let temperatureRole: HwmonTemperatureRole

    init(family: HwmonFamily, descriptor: MetricDescriptor, temperatureRole: HwmonTemperatureRole) {
        self.family = family
        self.descriptor = descriptor
        self.temperatureRole = temperatureRole
    }
}

/// ``HwmonFamilies/family(sensorType:property:hasBareValue:)`` and the family's descriptor,
/// computed once per distinct input.
///
/// Building a family name and help text for every attribute on every sample cost more than the
/// rest of emitting it. The mapping is a pure function of its inputs, so entries never go stale.
/// A chip has a few dozen distinct type and property pairs, so the memo stays at a few KiB. It is
/// cleared at ``maxEntries`` in case file names keep changing.
struct HwmonFamilyMemo {
    private struct Key: Hashable {
        let sensorType: String
        let property: String
        let hasBareValue: Bool
    }

    static let maxEntries = 1024

    private var entries: [Key: HwmonFamilyEntry?] = [:]
    /// Descriptors by family name, so that two inputs that map to one family share one descriptor.
    private var descriptors = DescriptorCache()

    /// Returns the family of `property` of a sensor of `sensorType` with its descriptor, or nil
    /// where ``HwmonFamilies`` exports no family.
    mutating func family(sensorType: String, property: String, hasBareValue: Bool) -> HwmonFamilyEntry? {
        let key = Key(sensorType: sensorType, property: property, hasBareValue: hasBareValue)
        if let known = entries[key] {
            return known
        }

        let entry = HwmonFamilies.family(sensorType: sensorType, property: property, hasBareValue: hasBareValue)
            .map { family in
                HwmonFamilyEntry(
                    family: family, descriptor: descriptor(for: family),
                    temperatureRole: Self.temperatureRole(sensorType: sensorType, property: property))
            }
        if entries.count >= Self.maxEntries {
            entries.removeAll()
        }
        entries[key] = .some(entry)
        return entry
    }

    private static func temperatureRole(sensorType: String, property: String) -> HwmonTemperatureRole {
        guard sensorType == "temp" else { return .unchecked }
        if HwmonCollector.temperatureReadings.contains(property) {
            return .reading
        }
        return HwmonCollector.temperatureLimits.contains(property) ? .limit : .unchecked
    }

    private mutating func descriptor(for family: HwmonFamily) -> MetricDescriptor {
        descriptors.descriptor(family.name) {
            MetricDescriptor(
                family.name, family.help, type: family.type, labels: ["chip", "sensor"],
                windowUnit: family.windowUnit)
        }
    }
}
