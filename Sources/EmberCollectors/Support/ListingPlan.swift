/// Values built from the entries of a directory listing, such as the attribute paths of each
/// device, kept while the listing stays the same.
///
/// Collectors pass the listing they read on every sample, which the file system layer refreshes
/// at each rescan. A device that appears or goes away changes it, and the values are built again.
struct ListingPlan<Value> {
    private var listing: [String] = []
    private var values: [Value] = []

    /// Returns one value per entry of `listing`, built with `build` when the listing changed.
    mutating func values(for listing: [String], _ build: (String) -> Value) -> [Value] {
        if listing != self.listing {
            self.listing = listing
            values = listing.map(build)
        }
        return values
    }
}

/// A two-value label array, built again only when a value changes.
///
/// Collectors that keep paths in a ``ListingPlan`` keep one per series group, because building
/// the array for each series on every sample cost about 300 instructions (callgrind).
final class LabelPairMemo {
    private var labels: [String] = []

    /// Returns `[first, second]`.
    func values(_ first: String, _ second: String) -> [String] {
        if labels.count != 2 || labels[0] != first || labels[1] != second {
            labels = [first, second]
        }
        return labels
    }
}

extension Dictionary {
    /// Returns the value stored under `key`, storing `make()` there first when there is none.
    mutating func value(forKey key: Key, storingIfAbsent make: () -> Value) -> Value {
        if let known = self[key] {
            return known
        }
        let created = make()
        self[key] = created
        return created
    }
}
