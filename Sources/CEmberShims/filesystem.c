// O_PATH is a Linux extension that fcntl.h declares only with _GNU_SOURCE.
#define _GNU_SOURCE
#include "CEmberShims.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

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

/// Writes "/proc/self/fd/" and the decimal `fd` (not negative) into `link`. snprintf cost about
/// 740 instructions a call here, this loop a few dozen (callgrind).
static void format_descriptor_link(char link[32], int fd) {
    static const char prefix[] = "/proc/self/fd/";
    char digits[12];
    int count = 0;

    do {
        digits[count++] = (char)('0' + fd % 10);
        fd /= 10;
    } while (fd > 0);
    memcpy(link, prefix, sizeof prefix - 1);
    for (int index = 0; index < count; index++) {
        link[sizeof prefix - 1 + index] = digits[count - 1 - index];
    }
    link[sizeof prefix - 1 + count] = '\0';
}

int ember_resolve_path(const char *path, char *buffer, size_t size) {
    static const char deleted[] = " (deleted)";
    char link[32];
    int fd;
    ssize_t count;

    fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        // realpath fails with the same errno for a missing path. Any other error goes to realpath
        // for its own errno, because some (EMFILE among them) realpath would not meet.
        return errno == ENOENT || errno == ENOTDIR ? errno : -1;
    }
    format_descriptor_link(link, fd);
    count = size > 0 ? readlink(link, buffer, size - 1) : -1;
    close(fd);

    // A name that fills the buffer may be truncated. A name that is not absolute belongs to a
    // file outside this process's root, or to no file at all.
    if (count <= 0 || (size_t)count >= size - 1 || buffer[0] != '/') {
        return -1;
    }
    buffer[count] = '\0';
    if ((size_t)count >= sizeof deleted - 1 && strcmp(buffer + count - (sizeof deleted - 1), deleted) == 0) {
        return -1;
    }
    return 0;
}
