// libpci entry points for Swift. libpci reports fatal errors through `pci_access.error`, which
// must not return (the default handler calls exit()), so every call that can reach it runs under
// setjmp and the handler jumps back here. The message is kept per thread for the caller.

#include "CEmberShims.h"

#include <errno.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local jmp_buf *ember_pci_jump;
static _Thread_local char ember_pci_message[256];

static void ember_pci_store_message(const char *format, va_list arguments) {
    vsnprintf(ember_pci_message, sizeof ember_pci_message, format, arguments);
}

__attribute__((noreturn)) static void ember_pci_error(char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    ember_pci_store_message(format, arguments);
    va_end(arguments);
    // Every libpci call below sets the jump target first, so it is set whenever libpci calls this.
    longjmp(*ember_pci_jump, 1);
}

static void ember_pci_warning(char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    ember_pci_store_message(format, arguments);
    va_end(arguments);
}

static void ember_pci_debug(char *format, ...) {
    (void)format;
}

// Runs `statement` with the error handler armed, so a libpci fatal error makes the function return
// EIO with the message in ember_pci_message.
// NOTE: the jump skips libpci's own cleanup, so memory it allocated in that call leaks.
#define EMBER_PCI_GUARDED(statement)          \
    do {                                      \
        jmp_buf target;                       \
        jmp_buf *saved = ember_pci_jump;      \
        ember_pci_jump = &target;             \
        if (setjmp(target) != 0) {            \
            ember_pci_jump = saved;           \
            return EIO;                       \
        }                                     \
        statement;                            \
        ember_pci_jump = saved;               \
    } while (0)

static int ember_pci_init(struct pci_access *access) {
    EMBER_PCI_GUARDED(pci_init(access));
    return 0;
}

static int ember_pci_cleanup(struct pci_access *access) {
    EMBER_PCI_GUARDED(pci_cleanup(access));
    return 0;
}

int ember_pci_open(int method, const char *parameter, const char *value, struct pci_access **access) {
    ember_pci_message[0] = 0;
    struct pci_access *created = pci_alloc();
    if (created == NULL) {
        return ENOMEM;
    }
    created->error = ember_pci_error;
    created->warning = ember_pci_warning;
    created->debug = ember_pci_debug;
    created->method = (unsigned int)method;
    // Names come from pci.ids alone, so they do not depend on the udev hardware database.
    pci_set_param(created, "hwdb.disable", "1");
    if (parameter != NULL && pci_set_param(created, (char *)parameter, (char *)value) != 0) {
        pci_cleanup(created);
        return EINVAL;
    }
    // A failed init (a dump file that cannot be opened) jumps out of pci_init before the handle
    // is usable, but the handle itself is still allocated and must be released.
    int result = ember_pci_init(created);
    if (result != 0) {
        char message[sizeof ember_pci_message];
        memcpy(message, ember_pci_message, sizeof message);
        ember_pci_cleanup(created);
        memcpy(ember_pci_message, message, sizeof message);
        return result;
    }
    *access = created;
    return 0;
}

void ember_pci_close(struct pci_access *access) {
    pci_cleanup(access);
}

const char *ember_pci_last_message(void) {
    return ember_pci_message;
}

static int ember_pci_lookup_result(const char *name) {
    return name == NULL ? ENOENT : 0;
}

int ember_pci_lookup_vendor(struct pci_access *access, unsigned vendor, char *buffer, size_t size) {
    const char *name = NULL;
    EMBER_PCI_GUARDED(name = pci_lookup_name(access, buffer, (int)size, PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS,
                                             vendor));
    return ember_pci_lookup_result(name);
}

int ember_pci_lookup_device(struct pci_access *access, unsigned vendor, unsigned device, char *buffer,
                            size_t size) {
    const char *name = NULL;
    EMBER_PCI_GUARDED(name = pci_lookup_name(access, buffer, (int)size, PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
                                             vendor, device));
    return ember_pci_lookup_result(name);
}

int ember_pci_lookup_class(struct pci_access *access, unsigned class_code, char *buffer, size_t size) {
    const char *name = NULL;
    EMBER_PCI_GUARDED(name = pci_lookup_name(access, buffer, (int)size, PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS,
                                             class_code));
    return ember_pci_lookup_result(name);
}

int ember_pci_read_config(struct pci_access *access, struct ember_pci_address address, unsigned offset,
                          uint8_t *buffer, size_t length) {
    struct pci_dev *device = NULL;
    int succeeded = 0;
    EMBER_PCI_GUARDED(device = pci_get_dev(access, address.domain, address.bus, address.device, address.function));
    if (device == NULL) {
        return ENOMEM;
    }
    EMBER_PCI_GUARDED({
        succeeded = pci_read_block(device, (int)offset, buffer, (int)length);
        pci_free_dev(device);
    });
    return succeeded ? 0 : EIO;
}

int ember_pci_scan(struct pci_access *access, struct ember_pci_address *addresses, size_t capacity,
                   size_t *count) {
    *count = 0;
    EMBER_PCI_GUARDED(pci_scan_bus(access));
    for (struct pci_dev *device = access->devices; device != NULL; device = device->next) {
        if (*count < capacity) {
            addresses[*count] = (struct ember_pci_address){device->domain, device->bus, device->dev, device->func};
        }
        *count += 1;
    }
    return *count > capacity ? ERANGE : 0;
}

void ember_pci_free_names(struct pci_access *access) {
    pci_free_name_list(access);
}
