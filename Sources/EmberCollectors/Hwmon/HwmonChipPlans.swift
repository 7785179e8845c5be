/// One hwmon attribute file of a chip, with its name already split and its path built.
///
/// A class, so that walking a plan on every sample retains one reference per file instead of each
/// of its strings, and so that the hwmon collector can keep the file's family in it.
final class HwmonPlannedAttribute {
    let fileName: String
    let path: String
    let type: String
    let property: String
    /// Whether the file contains configuration rather than a measurement (``isSettled(type:property:)``),
    /// and is read again only at a rescan.
    let settled: Bool
    /// Whether the file before this one in its ``HwmonPlannedSensor/files`` has the same property.
    var followsSameProperty = false
    /// The file's family for a sensor with and without a bare value file, as
    /// ``HwmonFamilyMemo`` returned it: nil before the first lookup, `.some(nil)` for no family.
    /// Looking the family up by type and property on every sample cost about 550 instructions
    /// per value (callgrind).
    var familyWithBareValue: HwmonFamilyEntry??
    var familyWithoutBareValue: HwmonFamilyEntry??

    init(fileName: String, path: String, type: String, property: String) {
        self.fileName = fileName
        self.path = path
        self.type = type
        self.property = property
        settled = Self.isSettled(type: type, property: property)
    }

    /// Properties that the kernel's hwmon sysfs interface (Documentation/hwmon/sysfs-interface.rst)
    /// defines as labels, limits, divisors and settings. They change only when a driver is loaded
    /// or someone writes a new setting, so they are read again only at a rescan. Values, alarms,
    /// the recorded `highest` and `lowest`, and a fan's `target` and `output` change at run time.
    static let settledProperties: Set<String> = [
        "label", "type", "enable", "beep", "offset", "div", "pulses", "min", "max", "lcrit", "crit", "emergency",
        "min_hyst", "max_hyst", "lcrit_hyst", "crit_hyst", "emergency_hyst", "cap", "cap_min", "cap_max",
        "cap_hyst", "rated_min", "rated_max", "average_interval", "average_interval_min", "average_interval_max",
    ]

    /// The settings of a `pwmN` controller that a fan daemon does not change while it runs. Its duty
    /// cycle (the bare `pwmN`) and its mode (`pwmN_enable`) are read at every sample.
    static let settledPWMProperties: Set<String> = [
        "freq", "mode", "auto_channels_temp", "temp_sel", "target_temp", "temp_tolerance", "crit_temp_tolerance",
        "floor", "start", "stop_time", "step_up_time", "step_down_time",
    ]

    static func isSettled(type: String, property: String) -> Bool {
        if settledProperties.contains(property) {
            return true
        }
        guard type == "pwm" else { return false }
        return settledPWMProperties.contains(property) || property.hasPrefix("auto_point")
            || property.hasPrefix("weight_")
    }
}

/// One sensor of a chip plan (`temp1`) and its files.
final class HwmonPlannedSensor {
    let name: String
    let type: String
    /// Files by property name. Files with the same property, such as `temp1_input` in `hwmonN/`
    /// and in `hwmonN/device/`, follow each other in reading order, so the last one read wins.
    let files: [HwmonPlannedAttribute]
    /// The number of distinct properties in ``files``.
    let propertyCount: Int

    init(name: String, type: String, files: [HwmonPlannedAttribute], propertyCount: Int) {
        self.name = name
        self.type = type
        self.files = files
        self.propertyCount = propertyCount
    }
}

/// The attribute files of one hwmon chip, parsed from the listings of `hwmonN/` and
/// `hwmonN/device/` and kept while both listings stay the same.
///
/// Sensors are in name order and their files in property order, so the readings come out in
/// emitting order without sorting or hashing. A file of `hwmonN/` comes before one of `device/`
/// with the same sensor and property, whose value then wins, and within one directory files
/// come in file name order. A plan costs an estimated 250 bytes per attribute file (about
/// 30 KiB for the 120 files of node_exporter's test tree).
final class HwmonChipPlan: HwmonListingPlan {
    let own: [String]
    let inDevice: [String]
    let sensors: [HwmonPlannedSensor]

    /// Builds the plan of a chip from the unsorted listings of `directory` and its `device/`. An
    /// empty listing is also what a directory that is absent or failed to list gives.
    required init(directory: String, own: [String], inDevice: [String]) {
        self.own = own
        self.inDevice = inDevice

        // Reading order, in which a later file of the same sensor and property wins.
        let named = Self.attributeNames(own, in: directory) + Self.attributeNames(inDevice, in: directory + "/device")
        var filesBySensor: [String: [(order: Int, name: HwmonAttributeName, file: HwmonPlannedAttribute)]] = [:]
        for (order, (fileName, path, name)) in named.enumerated() {
            let file = HwmonPlannedAttribute(fileName: fileName, path: path, type: name.type, property: name.property)
            filesBySensor[name.sensor, default: []].append((order, name, file))
        }

        sensors = filesBySensor.keys.sorted().map { sensor in
            let files = filesBySensor[sensor]!.sorted {
                ($0.name.property, $0.order) < ($1.name.property, $1.order)
            }
            for index in files.indices.dropFirst() where files[index - 1].name.property == files[index].name.property {
                files[index].file.followsSameProperty = true
            }
            return HwmonPlannedSensor(
                name: sensor, type: files[0].name.type, files: files.map(\.file),
                propertyCount: Set(files.map(\.name.property)).count)
        }
    }

    /// Returns whether the plan was built from these listings.
    func matches(own: [String], inDevice: [String]) -> Bool {
        own == self.own && inDevice == self.inDevice
    }

    /// Returns the attribute files of a listing in file name order, with their paths.
    private static func attributeNames(
        _ listing: [String], in directory: String
    ) -> [(fileName: String, path: String, name: HwmonAttributeName)] {
        listing.sorted().compactMap { fileName in
            guard let name = HwmonAttributeName(fileName), HwmonAttributeName.sensorTypes.contains(name.type) else {
                return nil
            }
            return (fileName, directory + "/" + fileName, name)
        }
    }
}
