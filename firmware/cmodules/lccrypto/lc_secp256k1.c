// secp256k1 ECDSA over SHA-256 as CometBFT and Cosmos use it (libsecp256k1 0.5.0), and
// HMAC-SHA256 / HKDF-SHA256 on that library's C SHA-256, which both ports compile identically
// (the unix port's hashlib uses lib/crypto-algorithms, the esp32 port's mbedtls).
#include "lccrypto.h"
#include "secp256k1.h"
#include "secp256k1_preallocated.h"
// The library's SHA-256 and HMAC are static functions in a header: its unused helpers come along.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "util.h"
#include "hash_impl.h"
#pragma GCC diagnostic pop
#include "monocypher.h"

// The context lives in static memory, not the MicroPython heap: created on first use.
static uint64_t ctx_mem[64];
static secp256k1_context *ctx;

static const secp256k1_context *context(void) {
    if (ctx == NULL) {
        if (secp256k1_context_preallocated_size(SECP256K1_CONTEXT_NONE) > sizeof ctx_mem) {
            mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("secp256k1: context larger than its buffer"));
        }
        ctx = secp256k1_context_preallocated_create(ctx_mem, SECP256K1_CONTEXT_NONE);
    }
    return ctx;
}

static void sha256(uint8_t out[32], const uint8_t *data, size_t len) {
    secp256k1_sha256 h;
    secp256k1_sha256_initialize(&h);
    secp256k1_sha256_write(&h, data, len);
    secp256k1_sha256_finalize(&h, out);
}

// Same acceptance as lightclient/core/secp256k1.py: a 33-byte compressed (02/03) or 65-byte
// uncompressed (04) key on the curve, r and s in [1, n-1], s in the low half (the library's
// verify rejects a high s itself). Anything else is a False verdict, never an exception.
static bool verify_digest(mp_obj_t pub_in, const uint8_t digest[32], mp_obj_t sig_in) {
    mp_buffer_info_t pub = lc_buf(pub_in), sig = lc_buf(sig_in);
    const uint8_t *p = pub.buf;
    if (sig.len != 64) {
        return false;
    }
    if (!((pub.len == 33 && (p[0] == 2 || p[0] == 3)) || (pub.len == 65 && p[0] == 4))) {
        return false;  // the library also takes the hybrid 06/07 form, CometBFT does not
    }
    secp256k1_pubkey key;
    secp256k1_ecdsa_signature s;
    return secp256k1_ec_pubkey_parse(context(), &key, p, pub.len)
           && secp256k1_ecdsa_signature_parse_compact(context(), &s, sig.buf)  // 0 if r or s >= n
           && secp256k1_ecdsa_verify(context(), &s, digest, &key);             // 0 if r or s is 0
}

static mp_obj_t lc_secp256k1_verify(mp_obj_t pub_in, mp_obj_t msg_in, mp_obj_t sig_in) {
    mp_buffer_info_t msg = lc_buf(msg_in);
    uint8_t digest[32];
    sha256(digest, msg.buf, msg.len);
    return mp_obj_new_bool(verify_digest(pub_in, digest, sig_in));
}
MP_DEFINE_CONST_FUN_OBJ_3(lc_secp256k1_verify_obj, lc_secp256k1_verify);

static mp_obj_t lc_secp256k1_verify_digest(mp_obj_t pub_in, mp_obj_t digest_in, mp_obj_t sig_in) {
    mp_buffer_info_t digest = lc_buf(digest_in);
    if (digest.len != 32) {
        return mp_const_false;
    }
    return mp_obj_new_bool(verify_digest(pub_in, digest.buf, sig_in));
}
MP_DEFINE_CONST_FUN_OBJ_3(lc_secp256k1_verify_digest_obj, lc_secp256k1_verify_digest);

static const uint8_t *secret_key(mp_obj_t secret_in) {
    const uint8_t *d = lc_fixed(secret_in, 32, MP_ERROR_TEXT("secp256k1: secret key must be 32 bytes"));
    if (!secp256k1_ec_seckey_verify(context(), d)) {
        mp_raise_ValueError(MP_ERROR_TEXT("secp256k1: secret key out of range [1, n-1]"));
    }
    return d;
}

// RFC 6979 nonce (the library's default), s normalised low: 64 bytes r || s.
static mp_obj_t sign_digest(mp_obj_t secret_in, const uint8_t digest[32]) {
    const uint8_t *d = secret_key(secret_in);
    secp256k1_ecdsa_signature s;
    vstr_t out;
    uint8_t *rs = lc_result(&out, 64);
    if (!secp256k1_ecdsa_sign(context(), &s, digest, d, NULL, NULL)
        || !secp256k1_ecdsa_signature_serialize_compact(context(), rs, &s)) {
        vstr_clear(&out);
        mp_raise_ValueError(MP_ERROR_TEXT("secp256k1: signing failed"));
    }
    return lc_bytes(&out);
}

static mp_obj_t lc_secp256k1_sign(mp_obj_t secret_in, mp_obj_t msg_in) {
    mp_buffer_info_t msg = lc_buf(msg_in);
    uint8_t digest[32];
    sha256(digest, msg.buf, msg.len);
    return sign_digest(secret_in, digest);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_secp256k1_sign_obj, lc_secp256k1_sign);

static mp_obj_t lc_secp256k1_sign_digest(mp_obj_t secret_in, mp_obj_t digest_in) {
    return sign_digest(secret_in, lc_fixed(digest_in, 32, MP_ERROR_TEXT("secp256k1: digest must be 32 bytes")));
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_secp256k1_sign_digest_obj, lc_secp256k1_sign_digest);

// secret[, compressed=True] -> 33- or 65-byte SEC1 public key.
static mp_obj_t lc_secp256k1_public_key(size_t n_args, const mp_obj_t *args) {
    const uint8_t *d = secret_key(args[0]);
    bool compressed = n_args < 2 || mp_obj_is_true(args[1]);
    size_t len = compressed ? 33 : 65;
    secp256k1_pubkey key;
    vstr_t out;
    uint8_t *p = lc_result(&out, len);
    if (!secp256k1_ec_pubkey_create(context(), &key, d)
        || !secp256k1_ec_pubkey_serialize(context(), p, &len, &key,
            compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED)) {
        vstr_clear(&out);
        mp_raise_ValueError(MP_ERROR_TEXT("secp256k1: public key derivation failed"));
    }
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_secp256k1_public_key_obj, 1, 2, lc_secp256k1_public_key);

static void hmac(uint8_t out[32], const uint8_t *key, size_t key_len,
    const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
    secp256k1_hmac_sha256 h;
    secp256k1_hmac_sha256_initialize(&h, key, key_len);
    secp256k1_hmac_sha256_write(&h, a, a_len);
    secp256k1_hmac_sha256_write(&h, b, b_len);
    secp256k1_hmac_sha256_finalize(&h, out);
}

static mp_obj_t lc_hmac_sha256(mp_obj_t key_in, mp_obj_t msg_in) {
    mp_buffer_info_t key = lc_buf(key_in), msg = lc_buf(msg_in);
    vstr_t out;
    hmac(lc_result(&out, 32), key.buf, key.len, msg.buf, msg.len, NULL, 0);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_hmac_sha256_obj, lc_hmac_sha256);

#define HKDF_MAX_LEN (255 * 32)

// RFC 5869: hkdf_sha256(ikm, salt, info, length); an empty salt means 32 zero bytes, which
// HMAC's key padding makes the same thing.
static mp_obj_t lc_hkdf_sha256(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t ikm = lc_buf(args[0]), salt = lc_buf(args[1]), info = lc_buf(args[2]);
    mp_int_t length = mp_obj_get_int(args[3]);
    if (length < 0 || length > HKDF_MAX_LEN) {
        mp_raise_ValueError(MP_ERROR_TEXT("hkdf_sha256: length must be 0..8160"));
    }
    uint8_t prk[32], t[32];
    size_t t_len = 0;
    vstr_t out;
    uint8_t *okm = lc_result(&out, length);
    hmac(prk, salt.buf, salt.len, ikm.buf, ikm.len, NULL, 0);
    for (mp_int_t done = 0, i = 1; done < length; i++) {
        // T(i) = HMAC(PRK, T(i-1) || info || i)
        secp256k1_hmac_sha256 h;
        uint8_t counter = (uint8_t)i;
        secp256k1_hmac_sha256_initialize(&h, prk, 32);
        secp256k1_hmac_sha256_write(&h, t, t_len);
        secp256k1_hmac_sha256_write(&h, info.buf, info.len);
        secp256k1_hmac_sha256_write(&h, &counter, 1);
        secp256k1_hmac_sha256_finalize(&h, t);
        t_len = 32;
        mp_int_t n = length - done < 32 ? length - done : 32;
        memcpy(okm + done, t, n);
        done += n;
    }
    crypto_wipe(prk, sizeof prk);
    crypto_wipe(t, sizeof t);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_hkdf_sha256_obj, 4, 4, lc_hkdf_sha256);
