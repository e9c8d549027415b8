// The slice of libcrypto (OpenSSL 3) that MemVaultCrypto uses, plus static inline shims for what Swift cannot
// import directly: OSSL_PARAM arrays (built from macros and stack arrays) and ctrl calls whose constants are macros.
// Every shim is prefixed COpenSSL_ and says why it exists.
#ifndef COPENSSL_H
#define COPENSSL_H

// Keep deprecated OpenSSL 1.x calls out of reach: only the OpenSSL 3 API compiles.
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

// GCM tag get/set go through EVP_CIPHER_CTX_ctrl with macro constants; a typed shim keeps the length explicit.
static inline int COpenSSL_EVP_CIPHER_CTX_get_gcm_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int tag_len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, tag_len, tag);
}

static inline int COpenSSL_EVP_CIPHER_CTX_set_gcm_tag(EVP_CIPHER_CTX *ctx, const unsigned char *tag, int tag_len) {
    // OpenSSL takes a non-const pointer but only reads the tag when decrypting.
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, tag_len, (void *)tag);
}

// HMAC needs an OSSL_PARAM array naming the digest; OSSL_PARAM arrays are stack arrays terminated by a macro.
static inline int COpenSSL_EVP_MAC_init_hmac_sha256(EVP_MAC_CTX *ctx, const unsigned char *key, size_t key_len) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_MAC_init(ctx, key, key_len, params);
}

// HKDF (RFC 5869, extract-then-expand) with SHA-256; the parameters are an OSSL_PARAM array as above.
// OpenSSL treats an absent salt as HashLen zero bytes, which RFC 5869 says an empty salt means too.
static inline int COpenSSL_EVP_KDF_derive_hkdf_sha256(
    EVP_KDF_CTX *ctx,
    const unsigned char *ikm, size_t ikm_len,
    const unsigned char *salt, size_t salt_len,
    const unsigned char *info, size_t info_len,
    unsigned char *out, size_t out_len
) {
    OSSL_PARAM params[5];
    int n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    if (salt_len > 0) {
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    }
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    params[n] = OSSL_PARAM_construct_end();
    return EVP_KDF_derive(ctx, out, out_len, params);
}

// EVP_PKEY_ED25519 is a macro alias of a NID macro; a function keeps the key type explicit at the call site.
static inline int COpenSSL_EVP_PKEY_ED25519(void) {
    return EVP_PKEY_ED25519;
}

// EVP_PKEY_X25519 is a macro alias like EVP_PKEY_ED25519.
static inline int COpenSSL_EVP_PKEY_X25519(void) {
    return EVP_PKEY_X25519;
}

#endif
