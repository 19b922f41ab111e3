// Ed25519 (RFC 8032 signing, ZIP-215 verification), X25519 and SHA-512: mp_obj_t wrappers over
// lc_core.c, where the checks and the rules live.
#include "lccrypto.h"

static mp_obj_t lc_sha512_fn(mp_obj_t data_in) {
    mp_buffer_info_t data = lc_buf(data_in);
    vstr_t out;
    lc_sha512(lc_result(&out, 64), data.buf, data.len);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_sha512_obj, lc_sha512_fn);

static mp_obj_t lc_ed25519_verify_fn(mp_obj_t pub_in, mp_obj_t msg_in, mp_obj_t sig_in) {
    mp_buffer_info_t pub = lc_buf(pub_in), msg = lc_buf(msg_in), sig = lc_buf(sig_in);
    return mp_obj_new_bool(lc_ed25519_verify(pub.buf, pub.len, msg.buf, msg.len, sig.buf, sig.len));
}
MP_DEFINE_CONST_FUN_OBJ_3(lc_ed25519_verify_obj, lc_ed25519_verify_fn);

static mp_obj_t lc_ed25519_public_key_fn(mp_obj_t seed_in) {
    mp_buffer_info_t seed = lc_buf(seed_in);
    uint8_t pub[32];
    lc_check(lc_ed25519_public_key(pub, seed.buf, seed.len), LC_BAD_KEY_LEN,
        MP_ERROR_TEXT("ed25519_public_key: seed must be 32 bytes"));
    return mp_obj_new_bytes(pub, 32);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_ed25519_public_key_obj, lc_ed25519_public_key_fn);

static mp_obj_t lc_ed25519_sign_fn(mp_obj_t seed_in, mp_obj_t msg_in) {
    mp_buffer_info_t seed = lc_buf(seed_in), msg = lc_buf(msg_in);
    uint8_t sig[64];
    lc_check(lc_ed25519_sign(sig, seed.buf, seed.len, msg.buf, msg.len), LC_BAD_KEY_LEN,
        MP_ERROR_TEXT("ed25519_sign: seed must be 32 bytes"));
    return mp_obj_new_bytes(sig, 64);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_ed25519_sign_obj, lc_ed25519_sign_fn);

// The all-zero output of a small-order peer point is returned, not raised (lc_core.c).
static mp_obj_t lc_x25519_fn(mp_obj_t scalar_in, mp_obj_t point_in) {
    mp_buffer_info_t scalar = lc_buf(scalar_in), point = lc_buf(point_in);
    uint8_t shared[32];
    lc_status st = lc_x25519(shared, scalar.buf, scalar.len, point.buf, point.len);
    lc_check(st, LC_BAD_KEY_LEN, MP_ERROR_TEXT("x25519: scalar must be 32 bytes"));
    lc_check(st, LC_BAD_POINT_LEN, MP_ERROR_TEXT("x25519: point must be 32 bytes"));
    return mp_obj_new_bytes(shared, 32);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_x25519_obj, lc_x25519_fn);

static mp_obj_t lc_x25519_public_key_fn(mp_obj_t scalar_in) {
    mp_buffer_info_t scalar = lc_buf(scalar_in);
    uint8_t pub[32];
    lc_check(lc_x25519_public_key(pub, scalar.buf, scalar.len), LC_BAD_KEY_LEN,
        MP_ERROR_TEXT("x25519_public_key: scalar must be 32 bytes"));
    return mp_obj_new_bytes(pub, 32);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_x25519_public_key_obj, lc_x25519_public_key_fn);

// The edwards25519 group for SPAKE2+ (lc_core.h): canonical 32-byte points, scalars < 2^255.
static void group_check(lc_status st) {
    lc_check(st, LC_BAD_SCALAR, MP_ERROR_TEXT("ed25519 group: scalar must be 32 bytes below 2^255"));
    lc_check(st, LC_BAD_POINT, MP_ERROR_TEXT("ed25519 group: not a canonical point"));
}

static mp_obj_t lc_ed25519_point_mul_fn(mp_obj_t scalar_in, mp_obj_t point_in) {
    mp_buffer_info_t scalar = lc_buf(scalar_in), point = lc_buf(point_in);
    uint8_t out[32];
    group_check(lc_ed25519_point_mul(out, scalar.buf, scalar.len, point.buf, point.len));
    return mp_obj_new_bytes(out, 32);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_ed25519_point_mul_obj, lc_ed25519_point_mul_fn);

static mp_obj_t lc_ed25519_base_mul_fn(mp_obj_t scalar_in) {
    mp_buffer_info_t scalar = lc_buf(scalar_in);
    uint8_t out[32];
    group_check(lc_ed25519_base_mul(out, scalar.buf, scalar.len));
    return mp_obj_new_bytes(out, 32);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_ed25519_base_mul_obj, lc_ed25519_base_mul_fn);

static mp_obj_t point_add(mp_obj_t p_in, mp_obj_t q_in, bool subtract) {
    mp_buffer_info_t p = lc_buf(p_in), q = lc_buf(q_in);
    uint8_t out[32];
    group_check(lc_ed25519_point_add(out, p.buf, p.len, q.buf, q.len, subtract));
    return mp_obj_new_bytes(out, 32);
}

static mp_obj_t lc_ed25519_point_add_fn(mp_obj_t p_in, mp_obj_t q_in) {
    return point_add(p_in, q_in, false);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_ed25519_point_add_obj, lc_ed25519_point_add_fn);

static mp_obj_t lc_ed25519_point_sub_fn(mp_obj_t p_in, mp_obj_t q_in) {
    return point_add(p_in, q_in, true);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_ed25519_point_sub_obj, lc_ed25519_point_sub_fn);
