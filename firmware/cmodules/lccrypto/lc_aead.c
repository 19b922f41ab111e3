// ChaCha20-Poly1305 (RFC 8439, 12-byte nonce) and XChaCha20-Poly1305 (24-byte nonce), one-shot:
// mp_obj_t wrappers over lc_core.c. The ciphertext argument and result carry the 16-byte tag at
// the end, as RFC 8439 prints it.
#include "lccrypto.h"

// args: key, nonce, text[, aad]; nonce_len picks the construction.
static mp_obj_t aead(size_t n_args, const mp_obj_t *args, size_t nonce_len, bool seal) {
    mp_buffer_info_t key = lc_buf(args[0]), nonce = lc_buf(args[1]), text = lc_buf(args[2]);
    mp_buffer_info_t aad = {.buf = NULL, .len = 0};
    if (n_args > 3) {
        aad = lc_buf(args[3]);
    }
    // Every check before the result is allocated.
    lc_status st = lc_aead_check(key.len, nonce.len, nonce_len);
    lc_check(st, LC_BAD_KEY_LEN, MP_ERROR_TEXT("aead: key must be 32 bytes"));
    if (st == LC_BAD_NONCE_LEN) {
        mp_raise_ValueError(nonce_len == 12 ? MP_ERROR_TEXT("aead: nonce must be 12 bytes")
                                            : MP_ERROR_TEXT("aead: nonce must be 24 bytes"));
    }
    if (!seal && text.len < LC_TAG_SIZE) {
        mp_raise_ValueError(MP_ERROR_TEXT("aead: ciphertext shorter than its tag"));
    }
    vstr_t out;
    if (seal) {
        lc_aead_seal(lc_result(&out, text.len + LC_TAG_SIZE), key.buf, key.len, nonce.buf,
            nonce.len, nonce_len, text.buf, text.len, aad.buf, aad.len);
    } else if (lc_aead_open(lc_result(&out, text.len - LC_TAG_SIZE), key.buf, key.len, nonce.buf,
        nonce.len, nonce_len, text.buf, text.len, aad.buf, aad.len) != LC_OK) {
        vstr_clear(&out);
        mp_raise_ValueError(MP_ERROR_TEXT("aead: authentication failed"));
    }
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
