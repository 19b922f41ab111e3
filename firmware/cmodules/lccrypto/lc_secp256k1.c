// secp256k1 ECDSA over SHA-256 as CometBFT and Cosmos use it, HMAC-SHA256 and HKDF-SHA256:
// mp_obj_t wrappers over lc_core.c (libsecp256k1 0.5.0 and its C SHA-256, which both ports
// compile identically), where the checks and the rules live.
#include "lccrypto.h"

// Verdicts never raise on bad bytes: wrong lengths, forms or ranges are False.
static mp_obj_t lc_secp256k1_verify_fn(mp_obj_t pub_in, mp_obj_t msg_in, mp_obj_t sig_in) {
    mp_buffer_info_t pub = lc_buf(pub_in), msg = lc_buf(msg_in), sig = lc_buf(sig_in);
    return mp_obj_new_bool(lc_secp256k1_verify(pub.buf, pub.len, msg.buf, msg.len, sig.buf, sig.len));
}
MP_DEFINE_CONST_FUN_OBJ_3(lc_secp256k1_verify_obj, lc_secp256k1_verify_fn);

static mp_obj_t lc_secp256k1_verify_digest_fn(mp_obj_t pub_in, mp_obj_t digest_in, mp_obj_t sig_in) {
    mp_buffer_info_t pub = lc_buf(pub_in), digest = lc_buf(digest_in), sig = lc_buf(sig_in);
    return mp_obj_new_bool(lc_secp256k1_verify_digest(pub.buf, pub.len, digest.buf, digest.len,
        sig.buf, sig.len));
}
MP_DEFINE_CONST_FUN_OBJ_3(lc_secp256k1_verify_digest_obj, lc_secp256k1_verify_digest_fn);

// The errors every function taking a secret key can give, in the core's order of checks.
static void secret_errors(lc_status st) {
    lc_check(st, LC_BAD_KEY_LEN, MP_ERROR_TEXT("secp256k1: secret key must be 32 bytes"));
    lc_check(st, LC_KEY_OUT_OF_RANGE, MP_ERROR_TEXT("secp256k1: secret key out of range [1, n-1]"));
    if (st == LC_NO_CONTEXT) {
        mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("secp256k1: context larger than its buffer"));
    }
}

static mp_obj_t signature(lc_status st, const uint8_t rs[64]) {
    secret_errors(st);
    lc_check(st, LC_BAD_DIGEST_LEN, MP_ERROR_TEXT("secp256k1: digest must be 32 bytes"));
    lc_check(st, LC_FAILED, MP_ERROR_TEXT("secp256k1: signing failed"));
    return mp_obj_new_bytes(rs, 64);
}

static mp_obj_t lc_secp256k1_sign_fn(mp_obj_t secret_in, mp_obj_t msg_in) {
    mp_buffer_info_t secret = lc_buf(secret_in), msg = lc_buf(msg_in);
    uint8_t rs[64];
    return signature(lc_secp256k1_sign(rs, secret.buf, secret.len, msg.buf, msg.len), rs);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_secp256k1_sign_obj, lc_secp256k1_sign_fn);

static mp_obj_t lc_secp256k1_sign_digest_fn(mp_obj_t secret_in, mp_obj_t digest_in) {
    mp_buffer_info_t secret = lc_buf(secret_in), digest = lc_buf(digest_in);
    uint8_t rs[64];
    return signature(lc_secp256k1_sign_digest(rs, secret.buf, secret.len, digest.buf, digest.len), rs);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_secp256k1_sign_digest_obj, lc_secp256k1_sign_digest_fn);

// secret[, compressed=True] -> 33- or 65-byte SEC1 public key.
static mp_obj_t lc_secp256k1_public_key_fn(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t secret = lc_buf(args[0]);
    bool compressed = n_args < 2 || mp_obj_is_true(args[1]);
    uint8_t pub[65];
    lc_status st = lc_secp256k1_public_key(pub, secret.buf, secret.len, compressed);
    secret_errors(st);
    lc_check(st, LC_FAILED, MP_ERROR_TEXT("secp256k1: public key derivation failed"));
    return mp_obj_new_bytes(pub, compressed ? 33 : 65);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_secp256k1_public_key_obj, 1, 2, lc_secp256k1_public_key_fn);

static mp_obj_t lc_hmac_sha256_fn(mp_obj_t key_in, mp_obj_t msg_in) {
    mp_buffer_info_t key = lc_buf(key_in), msg = lc_buf(msg_in);
    vstr_t out;
    lc_hmac_sha256(lc_result(&out, 32), key.buf, key.len, msg.buf, msg.len);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_hmac_sha256_obj, lc_hmac_sha256_fn);

// hkdf_sha256(ikm, salt, info, length), RFC 5869.
static mp_obj_t lc_hkdf_sha256_fn(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t ikm = lc_buf(args[0]), salt = lc_buf(args[1]), info = lc_buf(args[2]);
    mp_int_t length = mp_obj_get_int(args[3]);
    // Checked before the result is allocated.
    lc_check(lc_hkdf_check(length), LC_BAD_LENGTH, MP_ERROR_TEXT("hkdf_sha256: length must be 0..8160"));
    vstr_t out;
    lc_hkdf_sha256(lc_result(&out, length), length, ikm.buf, ikm.len, salt.buf, salt.len,
        info.buf, info.len);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_hkdf_sha256_obj, 4, 4, lc_hkdf_sha256_fn);
