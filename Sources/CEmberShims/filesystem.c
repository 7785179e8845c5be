#include "CEmberShims.h"

#include <errno.h>
#include <sys/vfs.h>

int ember_file_system_type(int fd, int64_t *type) {
    struct statfs info;

    if (fstatfs(fd, &info) != 0) {
        return errno;
    }
    // f_type is a long on glibc and an unsigned long on some other C libraries. Every magic
    // number in include/uapi/linux/magic.h fits in 32 bits, so the conversion keeps it.
    *type = (int64_t)info.f_type;
    return 0;
}
