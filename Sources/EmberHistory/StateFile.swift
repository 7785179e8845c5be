import EmberCore

/// The state saved across restarts: the minute and hour tiers and the accumulated counters.
public struct PersistedState: Sendable {
    public struct Series: Sendable {
        public let key: String
        public let kind: SeriesKind
        public let chunks: [SealedChunk]
        /// The bucket still collecting samples when the state was saved.
        public let open: (bucket: Int64, values: PointValues)?

        public init(key: String, kind: SeriesKind, chunks: [SealedChunk], open: (bucket: Int64, values: PointValues)?) {
            self.key = key
            self.kind = kind
            self.chunks = chunks
            self.open = open
        }
    }

    public struct Family: Sendable {
        public let name: String
        public let type: MetricType
        public let labelNames: [String]
    }

    public struct Tier: Sendable {
        public let name: String
        public let widthSeconds: Int64
        public let series: [Series]
    }

    public var machineID: String
    public var bootID: String
    /// When the state was saved, in seconds since the Unix epoch.
    public var savedAtSeconds: Double
    public var counters: [String: SavedCounter]
    public var families: [Family]
    public var tiers: [Tier]

    public init(
        machineID: String, bootID: String, savedAtSeconds: Double, counters: [String: SavedCounter],
        families: [Family] = [], tiers: [Tier]
    ) {
        self.machineID = machineID
        self.bootID = bootID
        self.savedAtSeconds = savedAtSeconds
        self.counters = counters
        self.families = families
        self.tiers = tiers
    }
}

/// The reason a state file was not loaded.
public enum StateFileError: Error, Equatable, CustomStringConvertible {
    case notStateFile
    case unsupportedVersion(UInt32)
    case checksumMismatch
    case corrupt(String)
    case otherMachine(saved: String, current: String)

    public var description: String {
        switch self {
        case .notStateFile: "not an Ember state file (wrong magic)"
        case .unsupportedVersion(let version):
            "format version \(version) is newer than this agent reads (\(StateFileFormat.version))"
        case .checksumMismatch: "checksum mismatch: the file is corrupt or was cut short"
        case .corrupt(let reason): "corrupt: \(reason)"
        case .otherMachine(let saved, let current):
            "saved on machine \(saved), this is machine \(current)"
        }
    }
}

/// The state file's layout, all integers little-endian:
///
///     magic "EMBERST\0" (8) | version u32 | payload length u64 | CRC-32 of payload u32 | payload
///
/// The payload is machine ID, boot ID, save time (f64 bits), the counters (key, total, raw,
/// boot ID), the families (name, type, label names), then each tier: name, width, and per series its
/// key, kind, compressed chunks and open bucket.
///
/// Version 2 changed the chunk code (see ``ChunkEncoder``). A version 1 file is read with
/// ``ChunkDecoderVersion1`` and its chunks are encoded again, so an upgrade keeps the saved history.
/// Version 3 added the `hour-max` tier of series kind 2 (``SeriesKind/maximum``), where
/// temperatures keep their hourly maxima beyond the hour retention. A version 1 or 2 file gets
/// that tier from its hour tier's temperatures (see ``hourMaximaTier(from:)``).
public enum StateFileFormat {
    static let magic: [UInt8] = Array("EMBERST".utf8) + [0]
    public static let version: UInt32 = 3
    private static let headerSize = 8 + 4 + 8 + 4

    /// Returns `state` as a state file.
    public static func encode(_ state: PersistedState) -> [UInt8] {
        var payload = ByteWriter()
        encodePayload(state, into: &payload)
        return wrap(payload: payload.bytes)
    }

    /// Writes `state` as a state file to the start of `descriptor`, an empty file open for
    /// writing, through a small buffer. The payload goes first, behind room for the header, and the
    /// header follows once the payload's length and checksum are known.
    public static func write(_ state: PersistedState, to descriptor: Int32, path: String) throws(FileError) {
        var sink = FileByteSink(descriptor: descriptor, path: path, offset: headerSize)
        encodePayload(state, into: &sink)
        let payload = try sink.finish()
        try FileByteSink.write(header(payloadCount: payload.count, checksum: payload.checksum),
                               to: descriptor, at: 0, path: path)
    }

    private static func encodePayload(_ state: PersistedState, into payload: inout some ByteSink) {
        payload.string(state.machineID)
        payload.string(state.bootID)
        payload.u64(state.savedAtSeconds.bitPattern)
        payload.u32(UInt32(state.counters.count))
        for (key, counter) in state.counters.sorted(by: { $0.key < $1.key }) {
            payload.string(key)
            payload.u64(counter.total)
            payload.u64(counter.raw)
            payload.string(counter.bootID)
        }
        payload.u32(UInt32(state.families.count))
        for family in state.families.sorted(by: { $0.name < $1.name }) {
            payload.string(family.name)
            payload.string(family.type.rawValue)
            payload.u32(UInt32(family.labelNames.count))
            family.labelNames.forEach { payload.string($0) }
        }
        payload.u32(UInt32(state.tiers.count))
        for tier in state.tiers {
            encode(tier, into: &payload)
        }
    }

    /// Returns a state file with `payload` behind a valid header.
    static func wrap(payload: [UInt8]) -> [UInt8] {
        header(payloadCount: UInt64(payload.count), checksum: CRC32.checksum(payload[...])) + payload
    }

    /// Returns the header: magic, version, payload length and the payload's CRC-32.
    private static func header(payloadCount: UInt64, checksum: UInt32) -> [UInt8] {
        var file = ByteWriter()
        file.bytes = magic
        file.u32(version)
        file.u64(payloadCount)
        file.u32(checksum)
        return file.bytes
    }

    private static func encode(_ tier: PersistedState.Tier, into payload: inout some ByteSink) {
        payload.string(tier.name)
        payload.u64(UInt64(bitPattern: tier.widthSeconds))
        payload.u32(UInt32(tier.series.count))
        for series in tier.series {
            payload.string(series.key)
            payload.u8(series.kind.rawValue)
            payload.u32(UInt32(series.chunks.count))
            for chunk in series.chunks {
                payload.u32(UInt32(chunk.count))
                payload.u64(UInt64(bitPattern: chunk.firstTime))
                payload.u64(UInt64(bitPattern: chunk.lastTime))
                payload.blob(chunk.bytes)
            }
            payload.u8(series.open == nil ? 0 : 1)
            if let open = series.open {
                payload.u64(UInt64(bitPattern: open.bucket))
                payload.u8(UInt8(open.values.count))
                open.values.array.forEach { payload.u64($0.bitPattern) }
            }
        }
    }

    /// Decodes a state file, checking magic, version and checksum before anything else.
    public static func decode(_ bytes: [UInt8]) throws(StateFileError) -> PersistedState {
        // A file cut inside the header is reported as truncated as long as its bytes match the magic.
        let magicLength = min(bytes.count, magic.count)
        guard bytes.prefix(magicLength).elementsEqual(magic.prefix(magicLength)) else { throw .notStateFile }
        guard bytes.count >= headerSize else {
            throw .corrupt("truncated to \(bytes.count) bytes, shorter than the \(headerSize)-byte header")
        }
        var header = ByteReader(bytes, offset: 8)
        var version: UInt32 = 0
        do {
            version = try header.u32()
            guard version <= StateFileFormat.version, version > 0 else { throw StateFileError.unsupportedVersion(version) }
            let length = try header.u64()
            let checksum = try header.u32()
            guard length == UInt64(bytes.count - headerSize) else {
                throw StateFileError.corrupt("payload is \(bytes.count - headerSize) bytes, the header records \(length)")
            }
            guard CRC32.checksum(bytes[headerSize...]) == checksum else { throw StateFileError.checksumMismatch }
        } catch let error as StateFileError {
            throw error
        } catch {
            throw .corrupt("\(error)")
        }

        do {
            return try decodePayload(ByteReader(bytes, offset: headerSize), version: version)
        } catch {
            throw .corrupt(error.description)
        }
    }

    private static func decodePayload(
        _ start: ByteReader, version: UInt32
    ) throws(HistoryDecodingError) -> PersistedState {
        var reader = start
        let machineID = try reader.string()
        let bootID = try reader.string()
        let savedAt = Double(bitPattern: try reader.u64())
        var counters: [String: SavedCounter] = [:]
        for _ in 0..<(try reader.u32()) {
            let key = try reader.string()
            counters[key] = SavedCounter(total: try reader.u64(), raw: try reader.u64(), bootID: try reader.string())
        }
        var families: [PersistedState.Family] = []
        for _ in 0..<(try reader.u32()) {
            let name = try reader.string()
            guard let type = MetricType(rawValue: try reader.string()) else { throw .invalid("unknown metric type") }
            var labels: [String] = []
            for _ in 0..<(try reader.u32()) {
                labels.append(try reader.string())
            }
            families.append(PersistedState.Family(name: name, type: type, labelNames: labels))
        }
        var tiers: [PersistedState.Tier] = []
        for _ in 0..<(try reader.u32()) {
            tiers.append(try decodeTier(&reader, version: version))
        }
        guard reader.isAtEnd else { throw .invalid("bytes after the last tier") }
        if version < 3 {
            for tier in tiers {
                if let maxima = hourMaximaTier(from: tier) {
                    tiers.append(maxima)
                }
            }
        }
        return PersistedState(machineID: machineID, bootID: bootID, savedAtSeconds: savedAt, counters: counters,
                              families: families, tiers: tiers)
    }

    private static func decodeTier(
        _ reader: inout ByteReader, version: UInt32
    ) throws(HistoryDecodingError) -> PersistedState.Tier {
        let name = try reader.string()
        let width = Int64(bitPattern: try reader.u64())
        var series: [PersistedState.Series] = []
        for _ in 0..<(try reader.u32()) {
            let key = try reader.string()
            guard let kind = SeriesKind(rawValue: try reader.u8()) else { throw .invalid("unknown series kind") }
            var chunks: [SealedChunk] = []
            for _ in 0..<(try reader.u32()) {
                let count = Int(try reader.u32())
                guard count <= CompressedRing.maximumChunkPoints else {
                    throw .invalid("invalid chunk of \(count) points, above the maximum of \(CompressedRing.maximumChunkPoints)")
                }
                let first = Int64(bitPattern: try reader.u64())
                let last = Int64(bitPattern: try reader.u64())
                chunks.append(SealedChunk(bytes: try reader.blobSlice(), count: count, firstTime: first, lastTime: last))
            }
            if version == 1 {
                chunks = try migrated(chunks, kind: kind)
            }
            series.append(PersistedState.Series(key: key, kind: kind, chunks: chunks, open: try decodeOpen(&reader)))
        }
        return PersistedState.Tier(name: name, widthSeconds: width, series: series)
    }

    /// Returns version 1 chunks encoded again in the current chunk code, with the same points.
    static func migrated(_ chunks: [SealedChunk], kind: SeriesKind) throws(HistoryDecodingError) -> [SealedChunk] {
        let total = chunks.reduce(0) { $0 + $1.count }
        guard total > 0 else { return [] }
        var ring = CompressedRing(capacity: total, fieldCount: kind.fieldCount, layout: kind.layout)
        for chunk in chunks {
            try ChunkDecoderVersion1.forEach(chunk, fieldCount: kind.fieldCount, layout: kind.layout) { time, values in
                // The ring skips a point that is not after the one before it, which only a corrupt file has.
                ring.append(time: time, values: values)
                return true
            }
        }
        return ring.chunks
    }

    private static func decodeOpen(
        _ reader: inout ByteReader
    ) throws(HistoryDecodingError) -> (bucket: Int64, values: PointValues)? {
        guard try reader.u8() == 1 else { return nil }
        let bucket = Int64(bitPattern: try reader.u64())
        let count = Int(try reader.u8())
        guard count > 0, count <= PointValues.maximumCount else { throw .invalid("open bucket has \(count) values") }
        var values = PointValues(count: count)
        for index in 0..<count {
            values[index] = Double(bitPattern: try reader.u64())
        }
        return (bucket, values)
    }
}
