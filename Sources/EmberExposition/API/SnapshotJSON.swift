import EmberCore

/// Encodes a snapshot for `/api/v1/snapshot`: its time, the collectors' outcomes and the values
/// grouped by subsystem.
enum SnapshotJSON {
    static func encode(_ snapshot: Snapshot) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("sequence")
        writer.integer(snapshot.sequence)
        writer.field("time", WallClock.iso8601(snapshot.wallTime))
        writer.field("time_unix", snapshot.wallTime)
        writeCollectors(snapshot.collectors, into: &writer)

        var groups: [String: [Sample]] = [:]
        for sample in snapshot.samples {
            groups[MetricUnits.subsystem(of: sample.descriptor.name), default: []].append(sample)
        }
        writer.key("subsystems")
        writer.beginObject()
        for subsystem in groups.keys.sorted() {
            writer.key(subsystem)
            writer.beginArray()
            for sample in groups[subsystem]! {
                writeSample(sample, into: &writer)
            }
            writer.endArray()
        }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    private static func writeCollectors(_ collectors: [CollectorStatus], into writer: inout JSONWriter) {
        writer.key("collectors")
        writer.beginArray()
        for status in collectors {
            writer.beginObject()
            writer.field("name", status.name)
            switch status.outcome {
            case .success: writer.field("outcome", "success")
            case .failed(let message):
                writer.field("outcome", "failed")
                writer.field("error", message)
            case .timedOut: writer.field("outcome", "timed_out")
            }
            writer.field("duration_seconds", status.durationSeconds)
            writer.key("errors")
            writer.integer(status.errorCount)
            writer.endObject()
        }
        writer.endArray()
    }

    private static func writeSample(_ sample: Sample, into writer: inout JSONWriter) {
        let descriptor = sample.descriptor
        writer.beginObject()
        writer.field("id", SeriesSelector.format(
            name: descriptor.name, labelNames: descriptor.labelNames, labelValues: sample.labelValues))
        writer.field("name", descriptor.name)
        writer.key("labels")
        HistoryAPI.writeLabels(names: descriptor.labelNames, values: sample.labelValues, into: &writer)
        writer.field("type", descriptor.type.rawValue)
        writer.field("unit", MetricUnits.unit(of: descriptor.name))
        writer.field("value", sample.value)
        writer.endObject()
    }
}
