#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Swift imports no function-like macros, and these OpenSSL 1.1/3.x setters are macros over
   SSL_CTX_ctrl. Each returns 1 on success and 0 on failure, as the macros do. */
static inline int ember_ssl_ctx_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}

static inline int ember_ssl_ctx_set_max_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_max_proto_version(context, version);
}

/* Lets SSL_write send part of a buffer and be retried with the rest from another address, because
   the output queue resumes a chunk at an offset and Swift arrays may move. RELEASE_BUFFERS frees a
   session's record buffers while it is idle, which most keep-alive scrape connections are. */
static inline void ember_ssl_ctx_set_modes(SSL_CTX *context) {
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                     | SSL_MODE_RELEASE_BUFFERS);
}

/* Turns off the server-side session cache, which would keep up to 20480 sessions in memory by
   default. Clients still resume through stateless session tickets, as with Go's TLS server. */
static inline void ember_ssl_ctx_disable_session_cache(SSL_CTX *context) {
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
}

/* The TLS library's error reason code of a packed error, such as SSL_R_HTTP_REQUEST. */
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
static inline void ember_ssl_ctx_set_server_options(SSL_CTX *context, int prefer_server_ciphers) {
    uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
    if (prefer_server_ciphers) {
        options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    }
    SSL_CTX_set_options(context, options);
}

static inline int ember_ssl_ctx_set_groups_list(SSL_CTX *context, const char *groups) {
    return (int)SSL_CTX_set1_groups_list(context, groups);
}

/* Adds an intermediate certificate to the served chain; the context takes ownership of it. */
static inline int ember_ssl_ctx_add0_chain_cert(SSL_CTX *context, X509 *certificate) {
    return (int)SSL_CTX_add0_chain_cert(context, certificate);
}
