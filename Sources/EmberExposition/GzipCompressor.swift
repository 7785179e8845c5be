import Synchronization

/// An igzip compression state kept between scrapes, and freed once no scrape has used it for a while.
///
/// The state is an 80 KiB allocation, with the 16 KiB hash table that level 0 uses. Allocating
/// libdeflate's 200 KiB compressor, the library used before, at every scrape cost an `mmap` and
/// `munmap` each time, and keeping it took a fifth off the HTTP thread's CPU at a scrape a second
/// (side by side, 150 s). The state's pages stay resident while scrapes come. They are given back
/// after ``idleNanoseconds`` without a compression.
public final class GzipCompressor: Sendable {
    /// How long the state outlives its last use. Longer than Prometheus's default scrape
    /// interval of one minute, so a scraper at that interval keeps it.
    public static let defaultIdleNanoseconds: UInt64 = 90_000_000_000

    let level: Int32
    let idleNanoseconds: UInt64
    private let state = Mutex(State())

    /// The state, nil while none is allocated, and when it last compressed.
    private struct State {
        var stream: IgzipStream?
        var lastUse: UInt64 = 0
    }

    public init(level: Int32 = Gzip.fastestLevel, idleNanoseconds: UInt64 = defaultIdleNanoseconds) {
        self.level = level
        self.idleNanoseconds = idleNanoseconds
    }

    deinit {
        state.withLock { state in
            state.stream?.deallocate()
        }
    }

    /// Whether a state is allocated now, for tests.
    var isAllocated: Bool {
        state.withLock { $0.stream != nil }
    }

    /// Compresses `input` into one gzip member. `now` is the monotonic time in nanoseconds.
    /// Concurrent callers take turns.
    public func compress(_ input: [UInt8], now: UInt64) throws(GzipError) -> [UInt8] {
        try state.withLock { (state: inout State) throws(GzipError) -> [UInt8] in
            let stream: IgzipStream
            if let kept = state.stream {
                stream = kept
            } else {
                stream = try IgzipStream(level: level)
                state.stream = stream
            }
            state.lastUse = now
            return try Gzip.compress(input, with: stream)
        }
    }

    /// Frees the state when it has not compressed for ``idleNanoseconds`` before `now`.
    public func releaseIfIdle(now: UInt64) {
        state.withLock { state in
            guard let stream = state.stream, now &- state.lastUse >= idleNanoseconds else { return }
            stream.deallocate()
            state.stream = nil
        }
    }
}
