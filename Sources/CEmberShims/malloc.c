#include "CEmberShims.h"

#include <errno.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

int ember_malloc_tune(int max_arenas, int mmap_threshold_bytes) {
#ifdef __GLIBC__
    // mallopt returns 1 on success and 0 on error.
    if (mallopt(M_ARENA_MAX, max_arenas) != 1 || mallopt(M_MMAP_THRESHOLD, mmap_threshold_bytes) != 1) {
        return EINVAL;
    }
    return 0;
#else
    (void)max_arenas;
    (void)mmap_threshold_bytes;
    return ENOSYS;
#endif
}

int ember_malloc_trim(void) {
#ifdef __GLIBC__
    malloc_trim(0);
    return 0;
#else
    return ENOSYS;
#endif
}

int ember_malloc_in_use(uint64_t *bytes) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    *bytes = (uint64_t)info.uordblks + (uint64_t)info.hblkhd;
    return 0;
#else
    (void)bytes;
    return ENOSYS;
#endif
}
