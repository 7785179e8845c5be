#ifndef EMBER_SHIMS_H
#define EMBER_SHIMS_H

// Small C entry points for kernel and library interfaces that Swift cannot call directly:
// variadic functions and ioctl request numbers built by preprocessor macros. Each function
// returns 0 on success or a positive errno value, so Swift callers never read errno themselves.

#include <stdint.h>
#include <stddef.h>

/// Runs the NVMe admin Get Log Page command (opcode 02h) on the controller open at `fd`, reading
/// `length` bytes (a multiple of 4, at most 16 KiB) of log `log_id` for namespace `nsid` into
/// `buffer`. Needs CAP_SYS_ADMIN, so an unprivileged caller gets EACCES. When the controller
/// completes the command with an error, returns EIO and stores the NVMe status in `nvme_status`
/// (0 otherwise).
int ember_nvme_get_log_page(int fd, uint32_t nsid, uint8_t log_id, void *buffer, uint32_t length,
                            uint32_t *nvme_status);

#endif
