import EmberHistory

/// Formats a ``StorageBreakdown`` as a Markdown table, one row per tier and series class.
struct BreakdownTable {
    let breakdown: StorageBreakdown

    init(_ breakdown: StorageBreakdown) {
        self.breakdown = breakdown
    }

    func text() -> String {
        var lines = [
            "| tier | series class | series | points | values | chunks | compressed bytes | bytes per value "
                + "| allocated bytes (estimate) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for tier in ["raw", "minute", "hour", History.hourMaximumTierName] {
            guard let rows = breakdown.rows[tier] else { continue }
            for (seriesClass, row) in rows.sorted(by: { $0.key < $1.key }) {
                lines.append(line(tier, seriesClass, row))
            }
            lines.append("| \(tier) | series table | | | | | | | \(breakdown.tableBytes[tier] ?? 0) |")
        }
        return lines.joined(separator: "\n")
    }

    private func line(_ tier: String, _ seriesClass: String, _ row: StorageBreakdown.Row) -> String {
        let perValue = row.values > 0 ? Double(row.compressedBytes) / Double(row.values) : 0
        let rounded = Double(Int(perValue * 1000)) / 1000
        return "| \(tier) | \(seriesClass) | \(row.series) | \(row.points) | \(row.values) | \(row.chunks) "
            + "| \(row.compressedBytes) | \(rounded) | \(row.allocatedBytes) |"
    }
}
