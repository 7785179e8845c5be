/// The naming of hwmon chips as node_exporter 1.5 does it, as pure functions of what sysfs shows.
enum HwmonChipLabel {
    /// Returns the `chip` label: from the resolved `device` link (`.../platform/coretemp.0` →
    /// `platform_coretemp_0`), else from the `name` file, else from the resolved hwmon directory
    /// (`hwmon4`). Returns nil when every source is missing or cleans to nothing.
    ///
    /// - Parameters:
    ///   - resolvedDevice: the canonical path of `hwmonN/device`, or nil when there is no link.
    ///   - nameFile: the content of `hwmonN/name`, or nil when it could not be read.
    ///   - resolvedDirectory: the canonical path of `hwmonN`.
    static func derive(resolvedDevice: String?, nameFile: String?, resolvedDirectory: String?) -> String? {
        if let device = resolvedDevice, let label = fromDevicePath(device) {
            return label
        }
        if let name = nameFile.map(cleanHwmonName), !name.isEmpty {
            return name
        }
        if let directory = resolvedDirectory, let last = lastPathComponent(directory) {
            let name = cleanHwmonName(String(last))
            return name.isEmpty ? nil : name
        }
        return nil
    }

    /// `<parent>_<device>` from the last two components of a device path, each cleaned, or the
    /// device component alone when the parent cleans to nothing.
    static func fromDevicePath(_ path: String) -> String? {
        guard let (parent, last) = lastTwoPathComponents(path) else { return nil }

        let device = cleanHwmonName(String(last))
        if device.isEmpty {
            return nil
        }
        let cleanedParent = parent.map { cleanHwmonName(String($0)) } ?? ""
        return cleanedParent.isEmpty ? device : cleanedParent + "_" + device
    }

    /// Makes labels unique: every chip whose label another chip shares gets its hwmon directory
    /// name appended (`coretemp_hwmon1`, `coretemp_hwmon2`), and unique labels stay as they are,
    /// so node_exporter-compatible labels only change where node_exporter would merge two chips.
    ///
    /// NOTE: the kernel numbers hwmonN in probe order, so a suffixed label can change across
    /// reboots. Chips with a `device` link collide only when one device registers two hwmon
    /// directories.
    static func makeUnique(_ labels: [(label: String, directoryName: String)]) -> [String] {
        var counts: [String: Int] = [:]
        for entry in labels {
            counts[entry.label, default: 0] += 1
        }
        return labels.map { entry in
            counts[entry.label, default: 0] > 1 ? entry.label + "_" + cleanHwmonName(entry.directoryName) : entry.label
        }
    }
}

/// ``HwmonChipLabel/derive(resolvedDevice:nameFile:resolvedDirectory:)`` computed once per
/// distinct input.
///
/// Cleaning and joining the path components cost about 12 000 instructions per chip on every
/// sample, and hashing the inputs about a quarter of that (callgrind). The label is a pure function
/// of the inputs, so entries never go stale. A machine has a few dozen hwmon chips, and the memo
/// is cleared at ``maxEntries`` in case paths keep changing.
struct HwmonChipLabelMemo {
    private struct Inputs: Hashable {
        let resolvedDevice: String?
        let nameFile: String?
        let resolvedDirectory: String?
    }

    static let maxEntries = 256

    private var labels: [Inputs: String?] = [:]

    /// Returns ``HwmonChipLabel/derive(resolvedDevice:nameFile:resolvedDirectory:)`` of the inputs.
    mutating func label(resolvedDevice: String?, nameFile: String?, resolvedDirectory: String?) -> String? {
        let inputs = Inputs(resolvedDevice: resolvedDevice, nameFile: nameFile, resolvedDirectory: resolvedDirectory)
        if let known = labels[inputs] {
            return known
        }

        let label = HwmonChipLabel.derive(
            resolvedDevice: resolvedDevice, nameFile: nameFile, resolvedDirectory: resolvedDirectory)
        if labels.count >= Self.maxEntries {
            labels.removeAll()
        }
        labels[inputs] = .some(label)
        return label
    }
}
