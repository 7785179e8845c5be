import CEmberShims
import Dispatch
import EmberCore

/// Release of heap memory that malloc keeps for reuse, and of code pages no longer run, back to
/// the kernel.
///
/// Filling the history frees many small buffers, and glibc keeps them resident. After a full
/// history fill with the pessimistic feed, `malloc_trim` released 3.4 MiB of 23.1 MiB anonymous
/// memory (BENCHMARKS.md).
enum FreeMemory {
    /// Seconds between trims. A trim walks the heap, so it is not done at every sample.
    static let intervalSeconds = 600.0

    /// Caps glibc's malloc arenas at two and fixes its mmap threshold.
    ///
    /// glibc gives each thread that allocates under contention an arena of its own, up to eight per
    /// core on 64-bit systems, and each arena keeps its freed memory. Two arenas saved about 1.4 MiB
    /// at 60 s on the RK3588 mainline fixture (BENCHMARKS.md). NOTE: their cost in CPU was not measured.
    /// Must run before the first thread starts. Does nothing on other C libraries.
    ///
    /// It also fixes the size from which malloc maps a block of its own at 128 KiB, glibc's
    /// default. glibc otherwise raises that size each time such a block is freed. The snapshot
    /// arrays and the exposition text (an estimated 100–150 KiB each for 1600 series) then move
    /// into the heap, where their freed space stays resident until a trim. The fixed threshold
    /// kept 0.5 MiB less resident at 60 s on the same fixture.
    static func limitArenas() {
        _ = ember_malloc_tune(2, 128 * 1024)
    }

    /// Seconds after the first sample before the first release, so start-up work (discovery,
    /// restoring the saved state, the first scrapes) is done and its code no longer needed.
    static let warmUpSeconds = 30.0

    /// Starts a `malloc_trim` and a release of unused code pages in the background.
    ///
    /// Start-up runs code that the sampling loop never runs again: option parsing, collector
    /// discovery, state restore, libpci's and libsensors' set-up. Its pages stay mapped and count as
    /// resident until the kernel needs the memory. Unmapping the binary's and libraries' unwritten
    /// file pages leaves resident only what runs afterwards, which comes back from the page cache
    /// with one minor fault per page. On the RK3588 mainline fixture this cut the agent's resident
    /// file pages from 8.1 to 4.5 MiB at a sample and a scrape a second (BENCHMARKS.md).
    ///
    /// The release runs on a serial queue of its own. A block on a global concurrent queue made
    /// libdispatch start its thread-pool monitor, a timer that wakes a thread every second for the
    /// rest of the process's life (strace).
    static func releaseInBackground(logger: Logger) {
        DispatchQueue(label: "ember.free-memory").async {
            release(logger: logger)
        }
    }

    /// Trims the heap and releases unused code pages on the calling thread.
    static func release(logger: Logger) {
        _ = ember_malloc_trim()
        var releasedKiB: UInt64 = 0
        let status = ember_release_file_pages(&releasedKiB)
        guard status == 0 else {
            logger.debug("failed to release unused code pages", ("error", Errno.message(of: status)))
            return
        }
        logger.debug("released unused code pages", ("kib", String(releasedKiB)))
    }
}
