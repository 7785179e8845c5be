#ifndef EMBER_SHIMS_H
#define EMBER_SHIMS_H

// Small C entry points for kernel and library interfaces that Swift cannot call directly, such as
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

// libpci (pci.c). The access handle is opaque here so this header does not pull in <pci/pci.h>.
// Fatal libpci errors return EIO, and ember_pci_last_message() gives the message of the last
// failure or warning on the calling thread.
struct pci_access;

/// A PCI function address: domain (segment), bus, device and function numbers.
struct ember_pci_address {
    int domain;
    int bus;
    int device;
    int function;
};

/// Opens libpci with access method `method` (enum pci_access_type) and one optional parameter
/// such as "sysfs.path" or "dump.name". `parameter` may be NULL.
int ember_pci_open(int method, const char *parameter, const char *value, struct pci_access **access);
void ember_pci_close(struct pci_access *access);
const char *ember_pci_last_message(void);
/// Look up names in pci.ids and return ENOENT when the ID is not listed.
int ember_pci_lookup_vendor(struct pci_access *access, unsigned vendor, char *buffer, size_t size);
int ember_pci_lookup_device(struct pci_access *access, unsigned vendor, unsigned device, char *buffer,
                            size_t size);
int ember_pci_lookup_class(struct pci_access *access, unsigned class_code, char *buffer, size_t size);
/// Frees the parsed pci.ids (a few MiB), so the next lookup parses the file again.
void ember_pci_free_names(struct pci_access *access);
/// Reads `length` bytes of configuration space at `offset`. Returns EIO when any byte is unreadable.
int ember_pci_read_config(struct pci_access *access, struct ember_pci_address address, unsigned offset,
                          uint8_t *buffer, size_t length);
/// Lists the functions the access method finds. Returns ERANGE when there are more than
/// `capacity`, with `count` set to the full number.
int ember_pci_scan(struct pci_access *access, struct ember_pci_address *addresses, size_t capacity,
                   size_t *count);

// libsensors (sensors.c).
#include <stdio.h>

/// Calls sensors_init(config) and returns its error as a positive SENSORS_ERR_* code.
/// Parse errors in the configuration are written to `messages`, separated by "; ".
/// Each is "file:line: message" or "line N: message".
int ember_sensors_init(FILE *config, char *messages, size_t size);

// glibc's malloc tuning, which the Swift Glibc module does not export. Both return ENOSYS on
// other C libraries.

/// Caps malloc's arenas at `max_arenas` and fixes its mmap threshold (mallopt M_ARENA_MAX and
/// M_MMAP_THRESHOLD). Call before the first thread starts.
int ember_malloc_tune(int max_arenas, int mmap_threshold_bytes);

/// Returns free heap memory to the kernel (malloc_trim(0)).
int ember_malloc_trim(void);

/// Stores the bytes malloc has handed out and not got back (mallinfo2's uordblks + hblkhd).
/// glibc counts only the main arena, so allocations of other threads may be missing. Returns
/// ENOSYS before glibc 2.33 and on other C libraries.
int ember_malloc_in_use(uint64_t *bytes);

/// Unmaps the pages of this process's private read-only file mappings (the binary's code, shared
/// libraries) that were never written, with madvise(MADV_DONTNEED). The kernel maps each page again
/// from the page cache when it is next used, so afterwards only code that runs stays resident.
/// Stores the resident KiB of the mappings released. Returns 0 or an errno from reading
/// /proc/self/smaps.
int ember_release_file_pages(uint64_t *released_kib);

/// Names the calling thread for `top -H` and `/proc/PID/task/TID/comm` through prctl(PR_SET_NAME),
/// which is variadic in C. Names longer than 15 bytes are truncated by the kernel.
int ember_set_thread_name(const char *name);

/// Stores the file system type (statfs's f_type, a magic number from the kernel's
/// include/uapi/linux/magic.h) of the file open at `fd` in `type`. statfs lives in sys/vfs.h,
/// which Swift's Glibc module does not include.
int ember_file_system_type(int fd, int64_t *type);

/// Writes the canonical absolute path of `path`, as realpath(3) returns it, into `buffer` of `size`
/// bytes, ending it with a NUL. Takes three system calls: open with O_PATH, readlink of the
/// descriptor's entry in the real /proc/self/fd, and close, where realpath calls readlink once per
/// path component. Returns 0, ENOENT or ENOTDIR when the path is missing, or -1 when the caller
/// must call realpath instead: /proc is not mounted, the file was deleted meanwhile, its path does
/// not fit, or open failed for another reason.
int ember_resolve_path(const char *path, char *buffer, size_t size);

/// Opens a non-blocking netlink socket bound to the kernel's uevent group (NETLINK_KOBJECT_UEVENT,
/// group 1). Returns the descriptor, or -errno: EPERM or EPROTONOSUPPORT in some containers, ENOSYS
/// outside Linux.
int ember_uevent_open(void);

/// Reads every uevent waiting on `fd` without blocking and adds their number to `*received_count`.
/// Returns how many of them added, removed or moved a device or bound or unbound a driver (a lost
/// batch counts as one), or -errno when a read failed other than with EAGAIN, EINTR or ENOBUFS.
int ember_uevent_drain(int fd, int *received_count);

/// Accepts a connection on `listener` with accept4(2), non-blocking and close-on-exec from the
/// start, which saves the three fcntl calls that set both flags afterwards. `address` has room for
/// `*length` bytes (a sockaddr_storage), and `*length` becomes the peer address's size. Returns the
/// descriptor, or -errno. Glibc's Swift module does not export accept4.
int ember_accept_connection(int listener, void *address, uint32_t *length);

/// A function of a library loaded with dlopen: its name for dlsym and the offset of its pointer in
/// the table of functions that the library's C target declares (COpenSSL, CCrypt).
struct ember_symbol {
    const char *name;
    size_t offset;
};

#endif
