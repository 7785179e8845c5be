// The NVMe admin Get Log Page command through the kernel's passthrough ioctl. Swift cannot use
// NVME_IOCTL_ADMIN_CMD because the request number is built by the _IOWR macro.

#include "CEmberShims.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/nvme_ioctl.h>

enum {
    ember_nvme_admin_get_log_page_opcode = 0x02,
    // Bounds how long a controller that does not respond can block the nvme collector. Without it
    // the kernel waits for its admin timeout (nvme_core.admin_timeout, 60 s by default).
    ember_nvme_admin_timeout_ms = 5000,
};

int ember_nvme_get_log_page(int fd, uint32_t nsid, uint8_t log_id, void *buffer, uint32_t length,
                            uint32_t *nvme_status) {
    *nvme_status = 0;
    // The log is transferred in dwords. CDW10 bits 31:16 (NUMDL) contain the dword count minus one, and
    // 16 KiB keeps the count within the 12 bits that NVMe 1.2 controllers read.
    if (length == 0 || length % 4 != 0 || length / 4 > 0x1000) {
        return EINVAL;
    }

    struct nvme_admin_cmd command;
    memset(&command, 0, sizeof command);
    command.opcode = ember_nvme_admin_get_log_page_opcode;
    command.nsid = nsid;
    command.addr = (uint64_t)(uintptr_t)buffer;
    command.data_len = length;
    command.cdw10 = (uint32_t)log_id | ((length / 4 - 1) << 16);
    command.timeout_ms = ember_nvme_admin_timeout_ms;

    int result;
    do {
        result = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &command);
    } while (result < 0 && errno == EINTR);

    if (result < 0) {
        return errno;
    }
    if (result > 0) {
        // A positive result is the NVMe completion status, which means the controller rejected the
        // command.
        *nvme_status = (uint32_t)result;
        return EIO;
    }
    return 0;
}
