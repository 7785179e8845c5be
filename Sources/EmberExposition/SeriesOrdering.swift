import EmberCore

/// Series order and identity within one family.
enum SeriesOrdering {
    private enum Ordering {
        case less, equal, greater
    }

    /// Sorts a family's series and keeps only the earliest sample of each series.
    static func sortAndDeduplicate(_ family: inout PlannedFamily, samples: [Sample], report: inout EncodingReport) {
        let labelSets = family.labelSets
        func compare(_ left: PlannedFamily.Entry, _ right: PlannedFamily.Entry) -> Ordering {
            compareSeries(samples[left.sample], labelSets[left.labelSet], samples[right.sample],
                          labelSets[right.labelSet])
        }

        family.entries.sort { left, right in
            switch compare(left, right) {
            case .less: true
            case .greater: false
            case .equal: left.sample < right.sample
            }
        }

        var kept: [PlannedFamily.Entry] = []
        kept.reserveCapacity(family.entries.count)
        for entry in family.entries {
            if let previous = kept.last, compare(previous, entry) == .equal {
                report.duplicateSeries += 1
                report.noteFamily(family.descriptor.name)
            } else {
                kept.append(entry)
            }
        }
        family.entries = kept
    }

    /// Orders by label count, then label values in label name order (client_golang's order), then label
    /// names, so that only series with equal names and values compare equal.
    private static func compareSeries(
        _ left: Sample, _ leftLabels: PlannedFamily.LabelSet, _ right: Sample, _ rightLabels: PlannedFamily.LabelSet
    ) -> Ordering {
        if leftLabels.order.count != rightLabels.order.count {
            return leftLabels.order.count < rightLabels.order.count ? .less : .greater
        }

        for (leftPosition, rightPosition) in zip(leftLabels.order, rightLabels.order) {
            let order = compareBytes(left.labelValues[leftPosition], right.labelValues[rightPosition])
            if order != .equal { return order }
        }
        for (leftPosition, rightPosition) in zip(leftLabels.order, rightLabels.order) {
            let order = compareBytes(leftLabels.names[leftPosition], rightLabels.names[rightPosition])
            if order != .equal { return order }
        }
        return .equal
    }

    private static func compareBytes(_ left: String, _ right: String) -> Ordering {
        if left.utf8.lexicographicallyPrecedes(right.utf8) { return .less }
        if right.utf8.lexicographicallyPrecedes(left.utf8) { return .greater }
        return .equal
    }
}
