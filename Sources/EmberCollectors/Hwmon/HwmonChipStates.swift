/// A plan of a chip's files that a reader builds from the listings of `hwmonN/` and
/// `hwmonN/device/`, kept while both listings stay the same.
protocol HwmonListingPlan: AnyObject {
    /// Builds the plan from the unsorted listings of `directory` and its `device/`. An empty
    /// listing is also what a directory that is absent or failed to list gives.
    init(directory: String, own: [String], inDevice: [String])

    /// Returns whether the plan was built from these listings.
    func matches(own: [String], inDevice: [String]) -> Bool
}

/// The state a reader of `class/hwmon` keeps of one `hwmonN` directory between samples: its
/// paths, the last `name` read, the chip label and the plan of its files.
///
/// Building the paths, and finding the name, label and plan in dictionaries keyed by path, cost
/// about 15 000 instructions per chip and sample (callgrind, node_exporter's test tree).
final class HwmonChipState<Plan: HwmonListingPlan> {
    let directoryName: String
    let directory: String
    let devicePath: String
    let namePath: String
    /// The last `name` read. A chip's name does not change while its hwmon device exists, so a
    /// failed read of it is bridged with this one.
    var knownName: String?
    private var plan: Plan?
    /// The last name read and its ``cleanHwmonName(_:)``, which costs about 3 000 instructions.
    private var cleanedName: (text: String, cleaned: String)?
    /// The inputs of the last label and the label.
    private var lastLabel: (resolvedDevice: String?, nameFile: String?, resolvedDirectory: String?, label: String?)?

    init(classPath: String, directoryName: String) {
        self.directoryName = directoryName
        directory = classPath + "/" + directoryName
        devicePath = directory + "/device"
        namePath = directory + "/name"
    }

    /// Returns ``cleanHwmonName(_:)`` of `name`.
    func cleaned(_ name: String) -> String {
        if let cleanedName, cleanedName.text == name {
            return cleanedName.cleaned
        }
        let cleaned = cleanHwmonName(name)
        cleanedName = (name, cleaned)
        return cleaned
    }

    /// Returns the plan of the chip's files, built again when a listing changed.
    func plan(own: [String], inDevice: [String]) -> Plan {
        if let plan, plan.matches(own: own, inDevice: inDevice) {
            return plan
        }
        let built = Plan(directory: directory, own: own, inDevice: inDevice)
        plan = built
        return built
    }

    /// Returns ``HwmonChipLabel/derive(resolvedDevice:nameFile:resolvedDirectory:)`` of the
    /// inputs: the last label while the inputs stay the same, else the one `memo` returns.
    /// Comparing the paths costs a fraction of hashing them for the memo.
    func label(
        resolvedDevice: String?, nameFile: String?, resolvedDirectory: String?, memo: inout HwmonChipLabelMemo
    ) -> String? {
        if let lastLabel, lastLabel.resolvedDevice == resolvedDevice, lastLabel.nameFile == nameFile,
           lastLabel.resolvedDirectory == resolvedDirectory {
            return lastLabel.label
        }
        let label = memo.label(resolvedDevice: resolvedDevice, nameFile: nameFile, resolvedDirectory: resolvedDirectory)
        lastLabel = (resolvedDevice, nameFile, resolvedDirectory, label)
        return label
    }
}

/// The ``HwmonChipState`` of each entry of `class/hwmon`, kept while the listing stays the same.
///
/// When the listing changes, entries still listed keep their state, so a chip that stays keeps
/// its bridged name. The state of an entry that went away is dropped, because it may come back
/// as another chip under the same `hwmonN`.
struct HwmonChipStates<Plan: HwmonListingPlan> {
    let classPath: String
    private var listing: [String] = []
    private var states: [HwmonChipState<Plan>] = []

    init(classPath: String) {
        self.classPath = classPath
    }

    /// Returns the state of each entry of the sorted `listing` of ``classPath``, in that order.
    mutating func states(for listing: [String]) -> [HwmonChipState<Plan>] {
        if listing == self.listing {
            return states
        }

        var previous: [String: HwmonChipState<Plan>] = [:]
        for state in states {
            previous[state.directoryName] = state
        }
        self.listing = listing
        states = listing.map { entry in
            previous[entry] ?? HwmonChipState(classPath: classPath, directoryName: entry)
        }
        return states
    }
}

/// ``HwmonChipLabel/makeUnique(_:)`` of the last input, kept while the input stays the same.
/// Counting the labels in a dictionary cost about 2 500 instructions per chip and sample.
struct HwmonUniqueLabelMemo {
    private var labels: [String] = []
    private var directoryNames: [String] = []
    private var unique: [String] = []

    mutating func makeUnique(labels: [String], directoryNames: [String]) -> [String] {
        if labels == self.labels, directoryNames == self.directoryNames {
            return unique
        }
        self.labels = labels
        self.directoryNames = directoryNames
        unique = HwmonChipLabel.makeUnique(Array(zip(labels, directoryNames)))
        return unique
    }
}
