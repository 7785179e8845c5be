import Dispatch

/// Returns heap memory that malloc keeps for reuse to the kernel.
///
/// Filling the history frees many small buffers, and glibc keeps them resident: after a full
/// history fill, `malloc_trim` released 3.7 MiB of 23.9 MiB anonymous memory (BENCHMARKS.md).
enum FreeMemory {
    /// Seconds between trims; a trim walks the heap, so it is not done every sample.
    static let intervalSeconds = 600.0

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
#endif
