#ifndef SOCKSHELL_COPENSSL_SHIM_H
#define SOCKSHELL_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

/* OpenSSL's macros over SSL_ctrl and friends, as functions Swift can call. */
static inline long sockshell_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long sockshell_SSL_set_msg_callback_arg(SSL *ssl, void *arg) {
    return SSL_set_msg_callback_arg(ssl, arg);
}
static inline long sockshell_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long sockshell_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long sockshell_SSL_set_mode(SSL *ssl, long mode) {
    return SSL_set_mode(ssl, mode);
}
static inline long sockshell_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline int sockshell_ERR_GET_LIB(unsigned long e) { return ERR_GET_LIB(e); }
static inline int sockshell_ERR_GET_REASON(unsigned long e) { return ERR_GET_REASON(e); }
/* The options CPython 3.11's SSLContext sets (SSL_OP_BIT macros do not import). */
static inline uint64_t sockshell_python_options(void) {
    return (SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS) | SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3
        | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_DH_USE
        | SSL_OP_SINGLE_ECDH_USE;
}
static inline int sockshell_ERR_is_common(unsigned long e) { return (ERR_GET_RFLAGS(e) & ERR_RFLAG_COMMON) != 0; }
static inline int sockshell_ERR_is_system(unsigned long e) { return ERR_SYSTEM_ERROR(e); }
static inline int sockshell_SSL_R_CERTIFICATE_VERIFY_FAILED(void) { return SSL_R_CERTIFICATE_VERIFY_FAILED; }
static inline int sockshell_SSL_R_UNEXPECTED_EOF_WHILE_READING(void) { return SSL_R_UNEXPECTED_EOF_WHILE_READING; }
static inline const char *sockshell_OBJ_nid2ln(int nid) { return OBJ_nid2ln(nid); }
static inline STACK_OF(GENERAL_NAME) *sockshell_subject_alt_names(X509 *cert) {
    return X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
}
static inline int sockshell_general_names_count(STACK_OF(GENERAL_NAME) *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *sockshell_general_name(STACK_OF(GENERAL_NAME) *names, int i) { return sk_GENERAL_NAME_value(names, i); }
static inline void sockshell_general_names_free(STACK_OF(GENERAL_NAME) *names) { GENERAL_NAMES_free(names); }
static inline int sockshell_peer_chain_count(SSL *ssl) {
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    return chain ? sk_X509_num(chain) : 0;
}
#endif
