// Ed25519 (RFC 8032 signing on Monocypher, ZIP-215 verification on libsodium's ref10 group,
// about a fifth fewer instructions per check than Monocypher's), X25519 and SHA-512 (libsodium's:
// the Monocypher in the registry's source package lacks its optional SHA-512 file).
#include "lccrypto.h"
#include "monocypher.h"
#include "crypto_hash_sha512.h"
// ref10's field header defines static helpers this file does not all use.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "private/ed25519_ref10.h"
#pragma GCC diagnostic pop

// libsodium's SHA-512 wipes its scratch with sodium_memzero and ref10 tests field elements with
// sodium_is_zero; these two stand in for libsodium's utils.c (its RNG, locking and allocators).
void sodium_memzero(void *const pnt, const size_t len) {
    crypto_wipe(pnt, len);
}

int sodium_is_zero(const unsigned char *n, const size_t nlen) {
    unsigned char d = 0;
    for (size_t i = 0; i < nlen; i++) {
        d |= n[i];
    }
    return d == 0;
}

static mp_obj_t lc_sha512(mp_obj_t data_in) {
    mp_buffer_info_t data = lc_buf(data_in);
    vstr_t out;
    crypto_hash_sha512(lc_result(&out, 64), data.buf, data.len);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_sha512_obj, lc_sha512);

// k = SHA-512(R || A || M) mod L, the challenge of the verification equation and of signing.
static void challenge(uint8_t k[32], const uint8_t r[32], const uint8_t a[32],
    const uint8_t *msg, size_t len) {
    crypto_hash_sha512_state st;
    uint8_t h[64];
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, r, 32);
    crypto_hash_sha512_update(&st, a, 32);
    crypto_hash_sha512_update(&st, msg, len);
    crypto_hash_sha512_final(&st, h);
    crypto_eddsa_reduce(k, h);
}

// p = p + p (ref10's extended addition is complete, so it also doubles; its dedicated doubling
// is not exported).
static void twice(ge25519_p3 *p) {
    ge25519_cached c;
    ge25519_p1p1 t;
    ge25519_p3_to_cached(&c, p);
    ge25519_add(&t, p, &c);
    ge25519_p1p1_to_p3(p, &t);
}

// ZIP-215, as CometBFT: A and R may be non-canonical encodings of curve points (any small
// order too; ref10's decoders reduce y mod p and accept x = 0 with the sign bit set), S must be
// < L, and the equation is the cofactored [8]([S]B - [k]A - R) = identity. libsodium's own
// verify is stricter (canonical R, no small order), so the equation is built from its group.
static bool zip215_verify(const uint8_t sig[64], const uint8_t pub[32], const uint8_t *msg, size_t len) {
    ge25519_p3 minus_a, r, q3;
    ge25519_p2 q;
    ge25519_cached r_cached;
    ge25519_p1p1 diff;
    uint8_t k[32];
    if (!sc25519_is_canonical(sig + 32)
        || ge25519_frombytes_negate_vartime(&minus_a, pub) != 0
        || ge25519_frombytes(&r, sig) != 0) {
        return false;
    }
    challenge(k, sig, pub, msg, len);
    ge25519_double_scalarmult_vartime(&q, k, &minus_a, sig + 32);  // [k](-A) + [S]B
    // projective (X:Y:Z) to extended (XZ:YZ:Z^2:XY), the form subtraction takes
    fe25519_mul(q3.X, q.X, q.Z);
    fe25519_mul(q3.Y, q.Y, q.Z);
    fe25519_sq(q3.Z, q.Z);
    fe25519_mul(q3.T, q.X, q.Y);
    ge25519_p3_to_cached(&r_cached, &r);
    ge25519_sub(&diff, &q3, &r_cached);
    ge25519_p1p1_to_p3(&q3, &diff);
    twice(&q3);
    twice(&q3);
    twice(&q3);
    // the identity is (0 : Z : Z : 0)
    fe25519 y_minus_z;
    fe25519_sub(y_minus_z, q3.Y, q3.Z);
    return fe25519_iszero(q3.X) && fe25519_iszero(y_minus_z);
}

// Wrong lengths are a False verdict, as in the pure-Python verify.
static mp_obj_t lc_ed25519_verify(mp_obj_t pub_in, mp_obj_t msg_in, mp_obj_t sig_in) {
    mp_buffer_info_t pub = lc_buf(pub_in), msg = lc_buf(msg_in), sig = lc_buf(sig_in);
    if (pub.len != 32 || sig.len != 64) {
        return mp_const_false;
    }
    return mp_obj_new_bool(zip215_verify(sig.buf, pub.buf, msg.buf, msg.len));
}
MP_DEFINE_CONST_FUN_OBJ_3(lc_ed25519_verify_obj, lc_ed25519_verify);

// RFC 8032 key expansion: a = clamp(SHA-512(seed)[0:32]), prefix = SHA-512(seed)[32:64].
static void expand_seed(uint8_t h[64], uint8_t a[32], const uint8_t seed[32]) {
    crypto_hash_sha512(h, seed, 32);
    crypto_eddsa_trim_scalar(a, h);
}

static mp_obj_t lc_ed25519_public_key(mp_obj_t seed_in) {
    const uint8_t *seed = lc_fixed(seed_in, 32, MP_ERROR_TEXT("ed25519_public_key: seed must be 32 bytes"));
    uint8_t h[64], a[32];
    vstr_t out;
    expand_seed(h, a, seed);
    crypto_eddsa_scalarbase(lc_result(&out, 32), a);
    crypto_wipe(h, sizeof h);
    crypto_wipe(a, sizeof a);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_ed25519_public_key_obj, lc_ed25519_public_key);

static mp_obj_t lc_ed25519_sign(mp_obj_t seed_in, mp_obj_t msg_in) {
    const uint8_t *seed = lc_fixed(seed_in, 32, MP_ERROR_TEXT("ed25519_sign: seed must be 32 bytes"));
    mp_buffer_info_t msg = lc_buf(msg_in);
    uint8_t h[64], a[32], pub[32], r[32], k[32];
    crypto_hash_sha512_state st;
    vstr_t out;
    uint8_t *sig = lc_result(&out, 64);
    expand_seed(h, a, seed);
    crypto_eddsa_scalarbase(pub, a);
    // r = SHA-512(prefix || M) mod L; R = [r]B
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, h + 32, 32);
    crypto_hash_sha512_update(&st, msg.buf, msg.len);
    crypto_hash_sha512_final(&st, h);
    crypto_eddsa_reduce(r, h);
    crypto_eddsa_scalarbase(sig, r);
    // S = k * a + r mod L
    challenge(k, sig, pub, msg.buf, msg.len);
    crypto_eddsa_mul_add(sig + 32, k, a, r);
    crypto_wipe(h, sizeof h);
    crypto_wipe(a, sizeof a);
    crypto_wipe(r, sizeof r);
    crypto_wipe(&st, sizeof st);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_ed25519_sign_obj, lc_ed25519_sign);

// RFC 7748 X25519. The all-zero output of a small-order peer point is returned, not raised:
// callers that must reject it (Wycheproof marks it acceptable) compare with zero themselves.
static mp_obj_t lc_x25519(mp_obj_t scalar_in, mp_obj_t point_in) {
    const uint8_t *scalar = lc_fixed(scalar_in, 32, MP_ERROR_TEXT("x25519: scalar must be 32 bytes"));
    const uint8_t *point = lc_fixed(point_in, 32, MP_ERROR_TEXT("x25519: point must be 32 bytes"));
    vstr_t out;
    crypto_x25519(lc_result(&out, 32), scalar, point);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_x25519_obj, lc_x25519);

static mp_obj_t lc_x25519_public_key(mp_obj_t scalar_in) {
    const uint8_t *scalar = lc_fixed(scalar_in, 32, MP_ERROR_TEXT("x25519_public_key: scalar must be 32 bytes"));
    vstr_t out;
    crypto_x25519_public_key(lc_result(&out, 32), scalar);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_x25519_public_key_obj, lc_x25519_public_key);
