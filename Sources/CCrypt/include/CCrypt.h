#ifndef EMBER_CCRYPT_H
#define EMBER_CCRYPT_H

// libxcrypt for bcrypt, loaded with dlopen only when the web configuration has basic_auth_users. The
// header gives the types and constants, and the functions are called through `ember_crypt()`, a
// table of pointers that the Swift loader fills with dlsym. See COpenSSL.h for why nothing here is
// named like a function of the library.

#include <stddef.h>
#include <crypt.h>

#include <CEmberShims.h>

/// The functions the agent calls from libxcrypt, as X(name).
#define EMBER_LIBCRYPT_FUNCTIONS(X) X(crypt_rn) X(crypt_gensalt_rn)

/// One pointer per function, each with the type of libxcrypt's own declaration.
struct ember_crypt_functions {
#define EMBER_CRYPT_FIELD(name) __typeof__(name) *_Nonnull name;
    EMBER_LIBCRYPT_FUNCTIONS(EMBER_CRYPT_FIELD)
#undef EMBER_CRYPT_FIELD
};

/// The functions of the table with their offsets in it.
const struct ember_symbol *_Nonnull ember_libcrypt_symbols(size_t *_Nonnull count);

/// The table, all null until the loader has resolved every function. Written only by the loader.
extern struct ember_crypt_functions ember_crypt_table;

static inline const struct ember_crypt_functions *_Nonnull ember_crypt(void) {
    return &ember_crypt_table;
}

#endif
