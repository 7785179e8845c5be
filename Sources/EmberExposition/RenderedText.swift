import EmberCore

/// The text exposition of one snapshot and where each series' value sits in it, so that the next
/// snapshot with the same series can be written by copying the bytes between values.
///
/// The spans take 8 bytes per series (about 13 KiB for 1600 series). Nothing else is kept, because the
/// previous text, which a patch copies from, is the body the cache serves until the new one replaces it.
struct RenderedText: Sendable {
    /// Byte offsets of each series' value, in the order the series are written.
    struct ValueSpans: Sendable {
        private(set) var starts: [UInt32] = []
        /// The offset of the line feed after each value.
        private(set) var ends: [UInt32] = []

        init(capacity: Int) {
            starts.reserveCapacity(capacity)
            ends.reserveCapacity(capacity)
        }

        /// Adds a value span. An exposition is far below 4 GiB, so offsets fit in 32 bits.
        mutating func append(start: Int, end: Int) {
            starts.append(UInt32(truncatingIfNeeded: start))
            ends.append(UInt32(truncatingIfNeeded: end))
        }
    }

    let bytes: [UInt8]
    let values: ValueSpans

    /// Encodes `plan` from scratch in the Prometheus text format.
    init(encoding plan: ExpositionPlan, capacity: Int) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity)
        var values = ValueSpans(capacity: plan.seriesCount)

        PrometheusTextEncoder.encode(plan, into: &bytes) { start, end in
            values.append(start: start, end: end)
        }
        self.init(bytes: bytes, values: values)
    }

    private init(bytes: [UInt8], values: ValueSpans) {
        self.bytes = bytes
        self.values = values
    }

    /// Returns the text of `plan` built from this text, which must be the rendering of `previousSamples`
    /// with the same families and entries as `plan` (see ``ExpositionPlan/reused(for:)``).
    ///
    /// Headers, names and labels are copied, and only values whose bits changed are formatted again. The
    /// result is byte for byte what ``init(encoding:capacity:)`` writes for `plan`.
    func patched(to plan: ExpositionPlan, previousSamples: [Sample], capacity: Int) -> RenderedText {
        precondition(previousSamples.count == plan.samples.count, "a patch needs the same series")

        var output: [UInt8] = []
        output.reserveCapacity(capacity)
        var spans = ValueSpans(capacity: values.starts.count)

        bytes.withUnsafeBufferPointer { old in
            // Bytes of `old` from `copyFrom` on are not written yet, so a run of unchanged values is copied at once.
            var copyFrom = 0
            var series = 0
            for family in plan.families {
                for entry in family.entries {
                    let start = Int(values.starts[series])
                    let end = Int(values.ends[series])
                    series += 1

                    let value = plan.samples[entry.sample].value
                    if value.bitPattern == previousSamples[entry.sample].value.bitPattern {
                        let shift = output.count - copyFrom
                        spans.append(start: start + shift, end: end + shift)
                        continue
                    }

                    output.append(contentsOf: UnsafeBufferPointer(rebasing: old[copyFrom..<start]))
                    let newStart = output.count
                    GoFloatFormat.append(value, to: &output)
                    spans.append(start: newStart, end: output.count)
                    copyFrom = end
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: old[copyFrom...]))
        }
        return RenderedText(bytes: output, values: spans)
    }
}
