#include "COpenSSL.h"

struct ember_openssl_functions ember_openssl_table;

#define EMBER_OPENSSL_SYMBOL(name) {#name, offsetof(struct ember_openssl_functions, name)},

static const struct ember_symbol libssl_symbols[] = {EMBER_LIBSSL_FUNCTIONS(EMBER_OPENSSL_SYMBOL)};
static const struct ember_symbol libcrypto_symbols[] = {EMBER_LIBCRYPTO_FUNCTIONS(EMBER_OPENSSL_SYMBOL)};

const struct ember_symbol *ember_libssl_symbols(size_t *count) {
    *count = sizeof(libssl_symbols) / sizeof(libssl_symbols[0]);
    return libssl_symbols;
}

const struct ember_symbol *ember_libcrypto_symbols(size_t *count) {
    *count = sizeof(libcrypto_symbols) / sizeof(libcrypto_symbols[0]);
    return libcrypto_symbols;
}
