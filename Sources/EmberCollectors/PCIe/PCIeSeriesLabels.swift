/// The label values of one function's series, built once and kept while its address exists.
///
/// Each AER count is one series labelled by address, severity and kind, about 300 per sample on
/// the RK3588 test tree. Building their label arrays, and formatting the addresses, cost about a
/// sixth of the collector's instructions (callgrind).
final class PCIeSeriesLabels {
    let address: String
    let addressLabels: [String]
    /// `[address, severity]` of each severity, in ``AERSeverity`` order.
    let severityLabels: [[String]]
    /// The kinds of the last report of each severity and their `[address, severity, kind]`.
    private var kinds: [[String]]
    private var kindLabels: [[[String]]]
    private var parent: PCIAddress?
    private var parentText = ""

    init(address: PCIAddress) {
        self.address = address.description
        addressLabels = [self.address]
        severityLabels = AERSeverity.allCases.map { [address.description, $0.rawValue] }
        kinds = Array(repeating: [], count: AERSeverity.allCases.count)
        kindLabels = Array(repeating: [], count: AERSeverity.allCases.count)
    }

    /// Returns the description of `parent`, or an empty string for none.
    func parentLabel(_ parent: PCIAddress?) -> String {
        if parent != self.parent {
            self.parent = parent
            parentText = parent?.description ?? ""
        }
        return parentText
    }

    /// Returns `[address, severity, kind]` of each count of `report`, in the same order.
    func labels(of report: AERDeviceReport) -> [[String]] {
        let index = report.severity.index
        if !hasKinds(report.counts, index: index) {
            kinds[index] = report.counts.map(\.kind)
            kindLabels[index] = report.counts.map { [address, report.severity.rawValue, $0.kind] }
        }
        return kindLabels[index]
    }

    private func hasKinds(_ counts: [AERKindCount], index: Int) -> Bool {
        guard counts.count == kinds[index].count else { return false }

        for (count, kind) in zip(counts, kinds[index]) where count.kind != kind {
            return false
        }
        return true
    }
}
