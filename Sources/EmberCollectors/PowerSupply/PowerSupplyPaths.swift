/// The attribute files one supply directory has, with their paths, kept while its listing stays
/// the same.
///
/// Matching about sixty attribute names against the listing and building the paths on every
/// sample cost about half of the collector's instructions (callgrind, node_exporter's test tree).
final class PowerSupplyPaths {
    /// The directory name, the `power_supply` label value.
    let supply: String
    /// `[supply]`, the label values of the numeric series, built once.
    let supplyLabels: [String]
    let directory: String
    private var listing: [String]?
    /// The ``PowerSupplyAttributes/numeric`` attributes present, in that order.
    private(set) var numeric: [(attribute: PowerSupplyNumericAttribute, path: String)] = []
    /// The ``PowerSupplyAttributes/infoFiles`` present, in that order, and whether each is settled.
    private(set) var info: [(file: String, path: String, settled: Bool)] = []

    init(supply: String, classPath: String) {
        self.supply = supply
        supplyLabels = [supply]
        directory = classPath + "/" + supply
    }

    /// Sets ``numeric`` and ``info`` from `listing`, the unsorted listing of the directory,
    /// unless it is the listing they were built from.
    func update(listing: [String]) {
        guard listing != self.listing else { return }

        self.listing = listing
        let present = Set(listing)
        numeric = PowerSupplyAttributes.numeric.filter { present.contains($0.file) }.map { attribute in
            (attribute, directory + "/" + attribute.file)
        }
        info = PowerSupplyAttributes.infoFiles.filter(present.contains).map { file in
            (file, directory + "/" + file, PowerSupplyAttributes.settledFiles.contains(file))
        }
    }
}
