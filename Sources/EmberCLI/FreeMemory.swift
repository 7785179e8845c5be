import Dispatch

/// Returns heap memory that malloc keeps for reuse to the kernel.
///
/// Filling the history frees many small buffers, and glibc keeps them resident: after a full
/// history fill, `malloc_trim` released 3.7 MiB of 23.9 MiB anonymous memory (BENCHMARKS.md).
enum FreeMemory {
    /// Seconds between trims; a trim walks the heap, so it is not done every sample.
    static let intervalSeconds = 600.0

    /// Caps glibc's malloc arenas at two.
    ///
    /// glibc gives each thread that allocates under contention an arena of its own, up to eight per
    /// core, and each arena keeps its freed memory. The collectors run on many threads but allocate
    /// little, so two arenas cost no measurable speed and save resident memory (BENCHMARKS.md).
    /// Must run before the first thread starts. Does nothing on other C libraries.
    static func limitArenas() {
        #if canImport(Glibc)
        // M_ARENA_MAX from glibc's <malloc.h>; Swift does not import the negative macro.
        let arenaMaxParameter: Int32 = -8
        _ = glibcMallopt(arenaMaxParameter, 2)
        #endif
    }

    /// Trims in the background. Does nothing where the C library has no `malloc_trim`.
    static func releaseInBackground() {
        #if canImport(Glibc)
        DispatchQueue.global(qos: .utility).async {
            _ = glibcMallocTrim(0)
        }
        #endif
    }
}

#if canImport(Glibc)
/// glibc's `malloc_trim`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
func glibcMallocTrim(_ pad: Int) -> Int32

/// glibc's `mallopt`, which the Glibc module does not export either.
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
