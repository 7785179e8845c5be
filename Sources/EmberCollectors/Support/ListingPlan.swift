/// Values built from the entries of a directory listing, such as the attribute paths of each
/// device, kept while the listing stays the same.
///
/// Collectors list their directories on every sample, so a device that appears or goes away
/// changes the listing and the values are built again.
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
