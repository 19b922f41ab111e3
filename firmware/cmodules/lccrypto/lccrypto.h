// Shared helpers of the lccrypto binding: argument checks that raise a ValueError naming the
// function and the failed check, and result objects built without a second copy.
#ifndef LCCRYPTO_H
#define LCCRYPTO_H

#include "py/runtime.h"
#include "py/objstr.h"
#include "lc_core.h"

// Read-only view of a bytes-like argument (TypeError for anything else).
static inline mp_buffer_info_t lc_buf(mp_obj_t obj) {
    mp_buffer_info_t b;
    mp_get_buffer_raise(obj, &b, MP_BUFFER_READ);
    return b;
}

// ValueError(msg) when the core's status is `which`; msg must be MP_ERROR_TEXT("...") at the call
// site (ROM text compression rewrites those literals), one call per check the core can fail.
static inline void lc_check(lc_status st, lc_status which, mp_rom_error_text_t msg) {
    if (st == which) {
        mp_raise_ValueError(msg);
    }
}

// A new bytes object of `len` bytes for C to fill: the only allocation a call makes.
static inline uint8_t *lc_result(vstr_t *v, size_t len) {
    vstr_init_len(v, len);
    return (uint8_t *)v->buf;
}

static inline mp_obj_t lc_bytes(vstr_t *v) {
    return mp_obj_new_bytes_from_vstr(v);
}

// The module's function objects, defined in lc_*.c.
MP_DECLARE_CONST_FUN_OBJ_1(lc_sha512_obj);
MP_DECLARE_CONST_FUN_OBJ_3(lc_ed25519_verify_obj);
MP_DECLARE_CONST_FUN_OBJ_1(lc_ed25519_public_key_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_ed25519_sign_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_x25519_obj);
MP_DECLARE_CONST_FUN_OBJ_1(lc_x25519_public_key_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_ed25519_point_mul_obj);
MP_DECLARE_CONST_FUN_OBJ_1(lc_ed25519_base_mul_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_ed25519_point_add_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_ed25519_point_sub_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(lc_chacha20poly1305_encrypt_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(lc_chacha20poly1305_decrypt_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(lc_xchacha20poly1305_encrypt_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(lc_xchacha20poly1305_decrypt_obj);
MP_DECLARE_CONST_FUN_OBJ_3(lc_secp256k1_verify_obj);
MP_DECLARE_CONST_FUN_OBJ_3(lc_secp256k1_verify_digest_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_secp256k1_sign_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_secp256k1_sign_digest_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(lc_secp256k1_public_key_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_hmac_sha256_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(lc_hkdf_sha256_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(lc_crc16_xmodem_obj);
MP_DECLARE_CONST_FUN_OBJ_1(lc_sha256_obj);
MP_DECLARE_CONST_FUN_OBJ_1(lc_ripemd160_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_bech32_encode_obj);
MP_DECLARE_CONST_FUN_OBJ_3(lc_smp_encode_in_place_obj);
extern const mp_obj_type_t lc_smp_decoder_type;
MP_DECLARE_CONST_FUN_OBJ_1(lc_merkle_leaf_obj);
MP_DECLARE_CONST_FUN_OBJ_2(lc_merkle_inner_obj);
MP_DECLARE_CONST_FUN_OBJ_1(lc_merkle_root_obj);
MP_DECLARE_CONST_FUN_OBJ_VAR_BETWEEN(lc_ics23_exist_root_obj);

#endif
