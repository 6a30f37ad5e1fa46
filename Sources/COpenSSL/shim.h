#ifndef SOCKSHELL_COPENSSL_SHIM_H
#define SOCKSHELL_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

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
/* The URIs of a certificate's Authority Information Access of one method
   (NID_ad_OCSP, NID_ad_ca_issuers), or of its CRL distribution points
   (method 0), as CPython's _get_aia_uri and _get_crl_dp collect them: one
   string, each URI ended by a newline; NULL when there is none. Free it
   with free(). */
static inline char *sockshell_certificate_uris(X509 *cert, int method) {
    BIO *out = BIO_new(BIO_s_mem());
    if (out == NULL) return NULL;
    int found = 0;
    if (method != 0) {
        AUTHORITY_INFO_ACCESS *info = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
        if (info != NULL) {
            for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(info); i++) {
                ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(info, i);
                if (OBJ_obj2nid(ad->method) != method || ad->location->type != GEN_URI) continue;
                ASN1_IA5STRING *uri = ad->location->d.uniformResourceIdentifier;
                BIO_write(out, ASN1_STRING_get0_data(uri), ASN1_STRING_length(uri));
                BIO_write(out, "\n", 1);
                found = 1;
            }
            AUTHORITY_INFO_ACCESS_free(info);
        }
    } else {
        STACK_OF(DIST_POINT) *points = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
        if (points != NULL) {
            for (int i = 0; i < sk_DIST_POINT_num(points); i++) {
                DIST_POINT *point = sk_DIST_POINT_value(points, i);
                if (point->distpoint == NULL || point->distpoint->type != 0) continue;
                GENERAL_NAMES *names = point->distpoint->name.fullname;
                for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
                    GENERAL_NAME *name = sk_GENERAL_NAME_value(names, j);
                    if (name->type != GEN_URI) continue;
                    ASN1_IA5STRING *uri = name->d.uniformResourceIdentifier;
                    BIO_write(out, ASN1_STRING_get0_data(uri), ASN1_STRING_length(uri));
                    BIO_write(out, "\n", 1);
                    found = 1;
                }
            }
            CRL_DIST_POINTS_free(points);
        }
    }
    char *result = NULL;
    if (found) {
        char *data = NULL;
        long length = BIO_get_mem_data(out, &data);
        result = malloc((size_t)length + 1);
        if (result != NULL) { memcpy(result, data, (size_t)length); result[length] = 0; }
    }
    BIO_free(out);
    return result;
}
static inline int sockshell_NID_ad_OCSP(void) { return NID_ad_OCSP; }
static inline int sockshell_NID_ad_ca_issuers(void) { return NID_ad_ca_issuers; }
#endif
