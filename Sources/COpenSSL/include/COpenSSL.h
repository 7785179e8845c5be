#ifndef EMBER_COPENSSL_H
#define EMBER_COPENSSL_H

// OpenSSL 3 for TLS, loaded with dlopen only when the web configuration sets TLS, so an agent without
// TLS never maps libssl and libcrypto. The headers give the types and constants. The functions are
// called through `ember_openssl()`, a table of pointers that the Swift loader fills with dlsym.
//
// The table and every helper here have names of their own, never OpenSSL's. Swift executables export
// their symbols dynamically, so a global function named like an OpenSSL one would take the place of
// libcrypto's own function in libssl's and libcrypto's internal calls.

#include <stddef.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <CEmberShims.h>

/// The functions the agent calls from libssl.so.3, as X(name).
#define EMBER_LIBSSL_FUNCTIONS(X) \
    X(TLS_server_method) X(SSL_CTX_new) X(SSL_CTX_free) X(SSL_CTX_ctrl) X(SSL_CTX_set_options) \
    X(SSL_CTX_set_cipher_list) X(SSL_CTX_use_certificate) X(SSL_CTX_use_certificate_chain_file) \
    X(SSL_CTX_use_PrivateKey) X(SSL_CTX_use_PrivateKey_file) X(SSL_CTX_check_private_key) \
    X(SSL_CTX_get0_certificate) X(SSL_CTX_get_cert_store) X(SSL_CTX_load_verify_locations) \
    X(SSL_load_client_CA_file) X(SSL_CTX_set_client_CA_list) X(SSL_CTX_add_client_CA) \
    X(SSL_CTX_set_session_id_context) X(SSL_CTX_set_verify) X(SSL_new) X(SSL_free) X(SSL_set_fd) \
    X(SSL_set_accept_state) X(SSL_pending) X(SSL_read) X(SSL_write) X(SSL_shutdown) X(SSL_do_handshake) \
    X(SSL_get_error) X(SSL_get0_peer_certificate)

/// The functions the agent calls from libcrypto.so.3, as X(name).
#define EMBER_LIBCRYPTO_FUNCTIONS(X) \
    X(ERR_clear_error) X(ERR_get_error) X(ERR_peek_error) X(ERR_error_string_n) X(BIO_new_mem_buf) \
    X(BIO_free) X(PEM_read_bio_X509) X(PEM_read_bio_PrivateKey) X(EVP_PKEY_free) X(X509_free) \
    X(X509_STORE_add_cert) X(X509_get0_notAfter) X(X509_get_subject_name) X(X509_NAME_oneline) \
    X(X509_get_ext_d2i) X(ASN1_TIME_to_tm) X(ASN1_STRING_get0_data) X(ASN1_STRING_length) \
    X(GENERAL_NAMES_free) X(OPENSSL_sk_num) X(OPENSSL_sk_value)

/// One pointer per function, each with the type of OpenSSL's own declaration, so a call through the
/// table is checked against the installed headers like a direct call.
struct ember_openssl_functions {
#define EMBER_OPENSSL_FIELD(name) __typeof__(name) *_Nonnull name;
    EMBER_LIBSSL_FUNCTIONS(EMBER_OPENSSL_FIELD)
    EMBER_LIBCRYPTO_FUNCTIONS(EMBER_OPENSSL_FIELD)
#undef EMBER_OPENSSL_FIELD
};

/// The functions of the table that come from libssl and from libcrypto, with their offsets in it.
const struct ember_symbol *_Nonnull ember_libssl_symbols(size_t *_Nonnull count);
const struct ember_symbol *_Nonnull ember_libcrypto_symbols(size_t *_Nonnull count);

/// The table, all null until the loader has resolved every function. Written only by the loader.
extern struct ember_openssl_functions ember_openssl_table;

static inline const struct ember_openssl_functions *_Nonnull ember_openssl(void) {
    return &ember_openssl_table;
}

/* Swift imports no function-like macros, and these OpenSSL 3 setters are macros over SSL_CTX_ctrl. Each
   returns 1 on success and 0 on failure, as the macros do. */
static inline int ember_ssl_ctx_set_min_proto_version(SSL_CTX *_Nonnull context, int version) {
    return (int)ember_openssl()->SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, version, NULL);
}

static inline int ember_ssl_ctx_set_max_proto_version(SSL_CTX *_Nonnull context, int version) {
    return (int)ember_openssl()->SSL_CTX_ctrl(context, SSL_CTRL_SET_MAX_PROTO_VERSION, version, NULL);
}

/* Lets SSL_write send part of a buffer and be retried with the rest from another address, because
   the output queue resumes a chunk at an offset and Swift arrays may move. RELEASE_BUFFERS frees a
   session's record buffers while it is idle, which most keep-alive scrape connections are. */
static inline void ember_ssl_ctx_set_modes(SSL_CTX *_Nonnull context) {
    long modes = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS;
    ember_openssl()->SSL_CTX_ctrl(context, SSL_CTRL_MODE, modes, NULL);
}

/* Turns off the server-side session cache, which would keep up to 20480 sessions in memory by
   default. Clients still resume through stateless session tickets, as with Go's TLS server. */
static inline void ember_ssl_ctx_disable_session_cache(SSL_CTX *_Nonnull context) {
    ember_openssl()->SSL_CTX_ctrl(context, SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_OFF, NULL);
}

/* The TLS library's error reason code of a packed error, such as SSL_R_HTTP_REQUEST. ERR_GET_REASON is
   an inline function of the header, so it needs no table entry. */
static inline int ember_err_reason(unsigned long error) {
    return ERR_GET_REASON(error);
}

static inline int ember_ssl_reason_http_request(void) {
    return SSL_R_HTTP_REQUEST;
}

/* Sets the server options in one call, because Swift does not import the SSL_OP_* macros. The
   options are the server's cipher order when requested and no client-initiated renegotiation,
   which would be a CPU cost a client could repeat. An EOF without close_notify is reported as a
   normal end of input. */
static inline void ember_ssl_ctx_set_server_options(SSL_CTX *_Nonnull context, int prefer_server_ciphers) {
    uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
    if (prefer_server_ciphers) {
        options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    }
    ember_openssl()->SSL_CTX_set_options(context, options);
}

static inline int ember_ssl_ctx_set_groups_list(SSL_CTX *_Nonnull context, const char *_Nonnull groups) {
    return (int)ember_openssl()->SSL_CTX_ctrl(context, SSL_CTRL_SET_GROUPS_LIST, 0, (void *)groups);
}

/* Adds an intermediate certificate to the served chain; the context takes ownership of it. */
static inline int ember_ssl_ctx_add0_chain_cert(SSL_CTX *_Nonnull context, X509 *_Nonnull certificate) {
    return (int)ember_openssl()->SSL_CTX_ctrl(context, SSL_CTRL_CHAIN_CERT, 0, (void *)certificate);
}

#endif
