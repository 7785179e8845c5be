#include "CEmberShims.h"

#include <errno.h>
#include <sys/prctl.h>

int ember_set_thread_name(const char *name) {
    // The kernel keeps at most 15 bytes and the terminating NUL, and truncates longer names.
    return prctl(PR_SET_NAME, name, 0, 0, 0) == 0 ? 0 : errno;
}
