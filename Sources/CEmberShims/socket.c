#define _GNU_SOURCE
#include "CEmberShims.h"

#include <errno.h>
#include <sys/socket.h>

int ember_accept_connection(int listener, void *address, uint32_t *length) {
    socklen_t size = *length;
    int descriptor = accept4(listener, (struct sockaddr *)address, &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    *length = size;
    return descriptor >= 0 ? descriptor : -errno;
}
