#include "CCrypt.h"

struct ember_crypt_functions ember_crypt_table;

#define EMBER_CRYPT_SYMBOL(name) {#name, offsetof(struct ember_crypt_functions, name)},

static const struct ember_symbol libcrypt_symbols[] = {EMBER_LIBCRYPT_FUNCTIONS(EMBER_CRYPT_SYMBOL)};

const struct ember_symbol *ember_libcrypt_symbols(size_t *count) {
    *count = sizeof(libcrypt_symbols) / sizeof(libcrypt_symbols[0]);
    return libcrypt_symbols;
}
