/*
 * aer-inject: makes the kernel's aer_inject module report a PCIe AER error from one device, so
 * the kernel's real AER handling and statistics code runs. QEMU 7.2 never forwards correctable
 * error messages from its emulated devices, so this is the only way to move aer_dev_correctable.
 *
 * Usage: aer-inject DOMAIN:BUS:DEVICE.FUNCTION cor|uncor STATUS_BITS
 * STATUS_BITS is the value of the Correctable or Uncorrectable Error Status register to report,
 * e.g. 0x1 (receiver error) or 0x40 (bad TLP) for cor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The record /dev/aer_inject reads, as struct aer_error_inj in drivers/pci/pcie/aer_inject.c. */
struct aer_error_inj {
    uint8_t bus;
    uint8_t dev;
    uint8_t fn;
    uint32_t uncor_status;
    uint32_t cor_status;
    uint32_t header_log0;
    uint32_t header_log1;
    uint32_t header_log2;
    uint32_t header_log3;
    uint32_t domain;
};

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: aer-inject DOMAIN:BUS:DEVICE.FUNCTION cor|uncor STATUS_BITS\n");
        return 1;
    }

    unsigned int domain, bus, device, function;
    char trailing;
    if (sscanf(argv[1], "%x:%x:%x.%x%c", &domain, &bus, &device, &function, &trailing) != 4
        || bus > 0xff || device > 0x1f || function > 7) {
        fprintf(stderr, "aer-inject: invalid PCI address %s, expected e.g. 0000:02:00.0\n", argv[1]);
        return 1;
    }
    char *end;
    unsigned long status = strtoul(argv[3], &end, 0);
    if (*end != '\0' || status == 0 || status > UINT32_MAX) {
        fprintf(stderr, "aer-inject: invalid STATUS_BITS %s, expected a nonzero 32-bit value\n", argv[3]);
        return 1;
    }

    struct aer_error_inj record = {0};
    record.domain = domain;
    record.bus = (uint8_t)bus;
    record.dev = (uint8_t)device;
    record.fn = (uint8_t)function;
    if (strcmp(argv[2], "cor") == 0) {
        record.cor_status = (uint32_t)status;
    } else if (strcmp(argv[2], "uncor") == 0) {
        record.uncor_status = (uint32_t)status;
    } else {
        fprintf(stderr, "aer-inject: invalid kind %s, expected cor or uncor\n", argv[2]);
        return 1;
    }

    int fd = open("/dev/aer_inject", O_WRONLY);
    if (fd < 0) {
        fprintf(stderr, "aer-inject: cannot open /dev/aer_inject: %s (is aer_inject loaded?)\n", strerror(errno));
        return 1;
    }
    if (write(fd, &record, sizeof record) != (ssize_t)sizeof record) {
        fprintf(stderr, "aer-inject: injecting into %s failed: %s\n", argv[1], strerror(errno));
        close(fd);
        return 1;
    }
    close(fd);
    return 0;
}
