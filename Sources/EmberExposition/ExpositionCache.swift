import EmberCore
import Synchronization

/// The rendered exposition of the latest snapshot, so that a scrape costs a lookup and a write.
///
/// ``publish(samples:sequence:wallTime:)`` encodes the text format right away. OpenMetrics and the gzip
/// variants are encoded on the first request that needs them, once per snapshot. Scrapes between two
/// publishes all get the same bytes, so the output never depends on who scraped last.
public final class ExpositionCache: Sendable {
    /// A response body with its headers.
    public struct Body: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
        /// `gzip` when compressed; nil for identity.
        public let contentEncoding: String?
    }

    /// The last publication, for health checks and self-metrics.
    public struct Status: Sendable {
        public let sequence: UInt64
        /// When the snapshot was taken, in seconds since the Unix epoch.
        public let wallTime: Double
        /// When it was published, on the monotonic clock.
        public let publishedMonotonicNanoseconds: UInt64
        public let seriesCount: Int
        /// Samples the text encoder dropped.
        public let report: EncodingReport
    }

    private let clock: any Clock
    private let current = Mutex<RenderedExposition?>(nil)
    private let compressor: GzipCompressor

    public init(clock: any Clock = SystemClock(), compressor: GzipCompressor = GzipCompressor()) {
        self.clock = clock
        self.compressor = compressor
    }

    /// Makes the concatenation of the `samples` lists the body of every following scrape.
    ///
    /// The caller passes the snapshot's samples, then others such as the window families, without
    /// copying them into one array. A later publish reuses the plan when it gives
    /// lists of the same series, list by list. The text is rendered now while scrapers requested
    /// the text of the last ``eagerStreak`` snapshots, and otherwise at the first request for it.
    ///
    /// Returns the samples dropped as duplicates, conflicts or invalid names, for the caller to log.
    @discardableResult
    public func publish(samples: [Sample]..., sequence: UInt64, wallTime: Double) -> EncodingReport {
        let previous = current.withLock { $0 }
        let capacity = Self.textCapacity(previousSize: previous?.text.sizeEstimate ?? 0)
        let plan: ExpositionPlan
        let source: ExpositionText.Source
        if let previous, let reused = previous.plan.reused(forLists: samples) {
            plan = reused
            source = previous.text.sourceForNext
        } else {
            plan = ExpositionPlan(lists: samples)
            source = .encode
        }

        let requestedStreak = previous.map { $0.text.wasRequested ? $0.requestedStreak + 1 : 0 } ?? Self.eagerStreak
        let text = ExpositionText(plan: plan, source: source, capacity: capacity,
                                  renderNow: requestedStreak >= Self.eagerStreak)
        let now = clock.monotonicNanoseconds()
        let rendered = RenderedExposition(plan: plan, text: text, requestedStreak: requestedStreak, sequence: sequence,
                                          wallTime: wallTime, publishedAt: now, compressor: compressor, clock: clock)
        current.withLock { $0 = rendered }
        compressor.releaseIfIdle(now: now)
        return rendered.status.report
    }

    /// The number of consecutive snapshots whose text scrapers requested, after which the text is
    /// rendered at publish. Two, so that a scraper every 15 s leaves every snapshot deferred: with
    /// one, the snapshot after each scrape would be rendered for nothing. The first snapshot is
    /// rendered at publish.
    static let eagerStreak = 2

    /// Returns the capacity to reserve for the next text: the last size plus 1/32.
    ///
    /// Values change their number of digits between snapshots, so the text is often a few bytes
    /// longer than the last one. Reserving the exact last size made the array double, with a copy,
    /// in about a third of the cycles (valgrind's DHAT, RK3588 fixture, 121 KiB of text).
    static func textCapacity(previousSize: Int) -> Int {
        previousSize + previousSize / 32
    }

    @discardableResult
    public func publish(_ snapshot: Snapshot) -> EncodingReport {
        publish(samples: snapshot.samples, sequence: snapshot.sequence, wallTime: snapshot.wallTime)
    }

    /// Returns the body of the latest snapshot in `format`, gzip-compressed when `gzip` is true.
    /// If compression fails, which only a broken library does, the identity body is returned
    /// instead. Returns nil until the first publish.
    public func body(for format: ExpositionFormat, gzip: Bool) -> Body? {
        current.withLock { $0 }?.body(for: format, gzip: gzip)
    }

    /// Whether the latest snapshot's text is rendered, for tests; nil until the first publish.
    var isLatestTextRendered: Bool? {
        current.withLock { $0 }?.text.isRendered
    }

    /// Nil until the first publish.
    public var status: Status? {
        current.withLock { $0 }?.status
    }
}

/// One snapshot's exposition: the text bytes, plus other variants made on first use.
final class RenderedExposition: Sendable {
    private enum Variant: Hashable {
        case openMetrics
        case gzip(ExpositionFormat)
    }

    let status: ExpositionCache.Status
    /// The grouping and order the next snapshot reuses when it has the same series.
    let plan: ExpositionPlan
    /// The text body, and where its values are, for the next snapshot to patch.
    let text: ExpositionText
    /// The number of snapshots in a row, up to the one before this one, whose text scrapers requested.
    let requestedStreak: Int
    private let variants = Mutex<[Variant: [UInt8]]>([:])
    private let compressor: GzipCompressor
    private let clock: any Clock

    init(
        plan: ExpositionPlan, text: ExpositionText, requestedStreak: Int, sequence: UInt64, wallTime: Double,
        publishedAt: UInt64, compressor: GzipCompressor, clock: any Clock
    ) {
        self.plan = plan
        self.text = text
        self.requestedStreak = requestedStreak
        self.compressor = compressor
        self.clock = clock
        self.status = ExpositionCache.Status(sequence: sequence, wallTime: wallTime,
                                             publishedMonotonicNanoseconds: publishedAt,
                                             seriesCount: plan.seriesCount, report: plan.report)
    }

    func body(for format: ExpositionFormat, gzip: Bool) -> ExpositionCache.Body {
        let identity = bytes(for: format)
        if gzip, let compressed = compressed(format, identity) {
            return ExpositionCache.Body(bytes: compressed, contentType: format.contentType, contentEncoding: "gzip")
        }
        return ExpositionCache.Body(bytes: identity, contentType: format.contentType, contentEncoding: nil)
    }

    private func bytes(for format: ExpositionFormat) -> [UInt8] {
        guard format == .openMetrics else { return text.rendered.bytes }

        return variants.withLock { variants in
            if let cached = variants[.openMetrics] { return cached }
            var bytes: [UInt8] = []
            let textSize = text.sizeEstimate
            bytes.reserveCapacity(textSize + textSize / 8)
            // NOTE: counter families dropped only in OpenMetrics (name without `_total` taken by a gauge) are
            // not in `status.report`, because this runs after publish returned.
            OpenMetricsEncoder.encode(plan, into: &bytes)
            variants[.openMetrics] = bytes
            return bytes
        }
    }

    private func compressed(_ format: ExpositionFormat, _ identity: [UInt8]) -> [UInt8]? {
        variants.withLock { variants in
            if let cached = variants[.gzip(format)] { return cached }
            // igzip's fastest level. On the node_exporter fixture's 63 KB exposition, level 1 took
            // a fifth more time for a body 10 % smaller, and needs an 84 KiB level buffer besides
            // (libisal 2.30, x86_64). A scrape a second compresses once a second, and CPU is
            // scarcer than LAN bandwidth here.
            guard let bytes = try? compressor.compress(identity, now: clock.monotonicNanoseconds()) else { return nil }
            variants[.gzip(format)] = bytes
            return bytes
        }
    }
}
