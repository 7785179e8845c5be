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
