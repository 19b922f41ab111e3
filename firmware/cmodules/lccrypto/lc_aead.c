// ChaCha20-Poly1305 (RFC 8439, 12-byte nonce) and XChaCha20-Poly1305 (24-byte nonce), one-shot,
// on Monocypher's authenticated stream (its first message is exactly the RFC construction).
// The ciphertext argument and result carry the 16-byte tag at the end, as RFC 8439 prints it.
#include "lccrypto.h"
#include "monocypher.h"

#define TAG_SIZE 16

// args: key, nonce, text[, aad]; nonce_len picks the construction.
static mp_obj_t aead(size_t n_args, const mp_obj_t *args, size_t nonce_len, bool seal) {
    const uint8_t *key = lc_fixed(args[0], 32, MP_ERROR_TEXT("aead: key must be 32 bytes"));
    const uint8_t *nonce = lc_fixed(args[1], nonce_len,
        nonce_len == 12 ? MP_ERROR_TEXT("aead: nonce must be 12 bytes")
                        : MP_ERROR_TEXT("aead: nonce must be 24 bytes"));
    mp_buffer_info_t text = lc_buf(args[2]);
    mp_buffer_info_t aad = {.buf = NULL, .len = 0};
    if (n_args > 3) {
        aad = lc_buf(args[3]);
    }
    crypto_aead_ctx ctx;
    if (nonce_len == 12) {
        crypto_aead_init_ietf(&ctx, key, nonce);
    } else {
        crypto_aead_init_x(&ctx, key, nonce);
    }
    vstr_t out;
    if (seal) {
        uint8_t *ct = lc_result(&out, text.len + TAG_SIZE);
        crypto_aead_write(&ctx, ct, ct + text.len, aad.buf, aad.len, text.buf, text.len);
    } else {
        if (text.len < TAG_SIZE) {
            crypto_wipe(&ctx, sizeof ctx);
            mp_raise_ValueError(MP_ERROR_TEXT("aead: ciphertext shorter than its tag"));
        }
        size_t len = text.len - TAG_SIZE;
        const uint8_t *ct = text.buf;
        uint8_t *pt = lc_result(&out, len);
        if (crypto_aead_read(&ctx, pt, ct + len, aad.buf, aad.len, ct, len) != 0) {
            vstr_clear(&out);
            mp_raise_ValueError(MP_ERROR_TEXT("aead: authentication failed"));
        }
    }
    crypto_wipe(&ctx, sizeof ctx);
    return lc_bytes(&out);
}

static mp_obj_t lc_chacha20poly1305_encrypt(size_t n_args, const mp_obj_t *args) {
    return aead(n_args, args, 12, true);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_chacha20poly1305_encrypt_obj, 3, 4, lc_chacha20poly1305_encrypt);

static mp_obj_t lc_chacha20poly1305_decrypt(size_t n_args, const mp_obj_t *args) {
    return aead(n_args, args, 12, false);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_chacha20poly1305_decrypt_obj, 3, 4, lc_chacha20poly1305_decrypt);

static mp_obj_t lc_xchacha20poly1305_encrypt(size_t n_args, const mp_obj_t *args) {
    return aead(n_args, args, 24, true);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_xchacha20poly1305_encrypt_obj, 3, 4, lc_xchacha20poly1305_encrypt);

static mp_obj_t lc_xchacha20poly1305_decrypt(size_t n_args, const mp_obj_t *args) {
    return aead(n_args, args, 24, false);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_xchacha20poly1305_decrypt_obj, 3, 4, lc_xchacha20poly1305_decrypt);
