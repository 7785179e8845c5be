#include "CEmberShims.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/netlink.h>
#endif

int ember_uevent_open(void) {
#ifdef __linux__
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
    if (fd < 0) {
        return -errno;
    }
    // Group 1 carries the kernel's own messages; udevd re-sends them on group 2 in its format.
    struct sockaddr_nl address;
    memset(&address, 0, sizeof address);
    address.nl_family = AF_NETLINK;
    address.nl_groups = 1;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
#else
    return -ENOSYS;
#endif
}

// Whether a kernel uevent adds, removes or moves a device, or binds or unbinds a driver. Its first
// field is "ACTION@DEVPATH". "change" events are left out: a battery sends one every few seconds
// on some laptops, and none of them adds or removes a file.
static int ember_uevent_moves_devices(const char *message, size_t length) {
    static const char *const actions[] = {"add@", "remove@", "move@", "bind@", "unbind@"};
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        size_t prefix = strlen(actions[i]);
        if (length >= prefix && memcmp(message, actions[i], prefix) == 0) {
            return 1;
        }
    }
    return 0;
}

int ember_uevent_drain(int fd, int *received_count) {
    // Uevents are at most a few KiB: the kernel caps their environment at 2048 bytes.
    char message[8192];
    int moves = 0;
    for (;;) {
        ssize_t received = recv(fd, message, sizeof message, MSG_DONTWAIT);
        if (received < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return moves;
            }
            if (errno == EINTR) {
                continue;
            }
            // ENOBUFS: the socket's buffer overflowed and messages were lost. Count it as a move,
            // because a lost message may have been one.
            if (errno == ENOBUFS) {
                moves++;
                continue;
            }
            return -errno;
        }
        (*received_count)++;
        moves += ember_uevent_moves_devices(message, (size_t)received);
    }
}
