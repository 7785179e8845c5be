import CEmberShims
import Dispatch

/// Release of heap memory that malloc keeps for reuse back to the kernel.
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

    /// Starts a `malloc_trim` in the background. Does nothing where the C library has no `malloc_trim`.
    static func releaseInBackground() {
        DispatchQueue.global(qos: .utility).async {
            _ = ember_malloc_trim()
        }
    }
}
