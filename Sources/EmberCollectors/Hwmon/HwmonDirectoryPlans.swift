/// One hwmon attribute file of a directory, with its name already split and its path built.
///
/// A class, so that walking a plan on every sample retains one reference per file instead of each
/// of its five strings.
final class HwmonPlannedAttribute {
    let fileName: String
    let path: String
    /// The sensor label value, such as `temp1`.
    let sensor: String
    let type: String
    let property: String
    /// The number of files of ``sensor`` in the directory, the capacity its value dictionary
    /// starts with, so that it does not grow file by file.
    let sensorFileCount: Int

    init(fileName: String, path: String, sensor: String, type: String, property: String, sensorFileCount: Int) {
        self.fileName = fileName
        self.path = path
        self.sensor = sensor
        self.type = type
        self.property = property
        self.sensorFileCount = sensorFileCount
    }
}

/// The attribute files of each hwmon directory, parsed from the directory's listing and kept while
/// the listing stays the same.
///
/// Splitting every file name and building its path on every sample cost nearly as many
/// instructions as reading the values (callgrind, node_exporter's test tree). The directory is
/// still listed on every sample, so a file that appears or goes away changes the listing, and the
/// plan is built again. A plan costs an estimated 250 bytes per attribute file (about 30 KiB for
/// the 120 files of node_exporter's test tree).
struct HwmonDirectoryPlans {
    private var plans: [String: (listing: [String], attributes: [HwmonPlannedAttribute])] = [:]
    /// Directories asked for since the last ``removeUnused()``.
    private var used: Set<String> = []

    /// Returns the attribute files of `directory` in file name order, given its unsorted `listing`.
    mutating func attributes(in directory: String, listing: [String]) -> [HwmonPlannedAttribute] {
        used.insert(directory)
        if let plan = plans[directory], plan.listing == listing {
            return plan.attributes
        }

        let names = listing.sorted().compactMap { fileName -> (fileName: String, name: HwmonAttributeName)? in
            guard let name = HwmonAttributeName(fileName), HwmonAttributeName.sensorTypes.contains(name.type) else {
                return nil
            }
            return (fileName, name)
        }
        var filesPerSensor: [String: Int] = [:]
        for (_, name) in names {
            filesPerSensor[name.sensor, default: 0] += 1
        }
        let attributes = names.map { fileName, name in
            HwmonPlannedAttribute(
                fileName: fileName, path: directory + "/" + fileName, sensor: name.sensor, type: name.type,
                property: name.property, sensorFileCount: filesPerSensor[name.sensor]!)
        }
        plans[directory] = (listing, attributes)
        return attributes
    }

    /// Forgets the plans of directories not asked for since the last call, such as those of a
    /// chip that went away.
    mutating func removeUnused() {
        if plans.count != used.count {
            plans = plans.filter { used.contains($0.key) }
        }
        used.removeAll(keepingCapacity: true)
    }
}
