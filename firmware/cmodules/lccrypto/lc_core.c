// The pure C core of lccrypto (contract: lc_core.h, docs/chip-native-crypto.md): Ed25519 (RFC 8032
// signing on Monocypher, ZIP-215 verification on libsodium's ref10 group: about a fifth fewer
// instructions per check than Monocypher's), X25519 on Monocypher, libsodium's SHA-512;
// (X)ChaCha20-Poly1305 on Monocypher; secp256k1 ECDSA, SHA-256, HMAC and HKDF on libsecp256k1.
#include <string.h>
#include "lc_core.h"
#include "monocypher.h"
#include "crypto_hash_sha512.h"
#include "secp256k1.h"
#include "secp256k1_preallocated.h"
// The library's SHA-256 and HMAC are static functions in a header: its unused helpers come along.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "util.h"
#include "hash_impl.h"
// ref10's field header defines static helpers this file does not all use.
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

void lc_sha512(uint8_t out[64], const uint8_t *data, size_t len) {
    crypto_hash_sha512(out, data, len);
}

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
// Wrong lengths are a false verdict, as in the pure-Python verify.
bool lc_ed25519_verify(const uint8_t *pub, size_t pub_len, const uint8_t *msg, size_t msg_len,
    const uint8_t *sig, size_t sig_len) {
    ge25519_p3 minus_a, r, q3;
    ge25519_p2 q;
    ge25519_cached r_cached;
    ge25519_p1p1 diff;
    uint8_t k[32];
    if (pub_len != 32 || sig_len != 64) {
        return false;
    }
    if (!sc25519_is_canonical(sig + 32)
        || ge25519_frombytes_negate_vartime(&minus_a, pub) != 0
        || ge25519_frombytes(&r, sig) != 0) {
        return false;
    }
    challenge(k, sig, pub, msg, msg_len);
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

// --- the edwards25519 group for SPAKE2+ ------------------------------------------------------

static lc_status decode_point(ge25519_p3 *p, const uint8_t *s, size_t len) {
    if (len != 32 || !ge25519_is_canonical(s) || ge25519_frombytes(p, s) != 0) {
        return LC_BAD_POINT;
    }
    return LC_OK;
}

static lc_status check_scalar(const uint8_t *scalar, size_t len) {
    return (len != 32 || (scalar[31] & 0x80)) ? LC_BAD_SCALAR : LC_OK;
}

lc_status lc_ed25519_point_mul(uint8_t out[32], const uint8_t *scalar, size_t scalar_len,
    const uint8_t *point, size_t point_len) {
    ge25519_p3 p, r;
    lc_status st = check_scalar(scalar, scalar_len);
    if (st == LC_OK) {
        st = decode_point(&p, point, point_len);
    }
    if (st != LC_OK) {
        return st;
    }
    ge25519_scalarmult(&r, scalar, &p);
    ge25519_p3_tobytes(out, &r);
    sodium_memzero(&r, sizeof r);
    return LC_OK;
}

lc_status lc_ed25519_base_mul(uint8_t out[32], const uint8_t *scalar, size_t scalar_len) {
    ge25519_p3 r;
    lc_status st = check_scalar(scalar, scalar_len);
    if (st != LC_OK) {
        return st;
    }
    ge25519_scalarmult_base(&r, scalar);
    ge25519_p3_tobytes(out, &r);
    sodium_memzero(&r, sizeof r);
    return LC_OK;
}

lc_status lc_ed25519_point_add(uint8_t out[32], const uint8_t *p, size_t p_len, const uint8_t *q,
    size_t q_len, bool subtract) {
    ge25519_p3 a, b;
    ge25519_cached bc;
    ge25519_p1p1 t;
    lc_status st = decode_point(&a, p, p_len);
    if (st == LC_OK) {
        st = decode_point(&b, q, q_len);
    }
    if (st != LC_OK) {
        return st;
    }
    ge25519_p3_to_cached(&bc, &b);
    if (subtract) {
        ge25519_sub(&t, &a, &bc);
    } else {
        ge25519_add(&t, &a, &bc);
    }
    ge25519_p1p1_to_p3(&a, &t);
    ge25519_p3_tobytes(out, &a);
    return LC_OK;
}

// RFC 8032 key expansion: a = clamp(SHA-512(seed)[0:32]), prefix = SHA-512(seed)[32:64].
static void expand_seed(uint8_t h[64], uint8_t a[32], const uint8_t seed[32]) {
    crypto_hash_sha512(h, seed, 32);
    crypto_eddsa_trim_scalar(a, h);
}

lc_status lc_ed25519_public_key(uint8_t out[32], const uint8_t *seed, size_t seed_len) {
    if (seed_len != 32) {
        return LC_BAD_KEY_LEN;
    }
    uint8_t h[64], a[32];
    expand_seed(h, a, seed);
    crypto_eddsa_scalarbase(out, a);
    crypto_wipe(h, sizeof h);
    crypto_wipe(a, sizeof a);
    return LC_OK;
}

lc_status lc_ed25519_sign(uint8_t sig[64], const uint8_t *seed, size_t seed_len,
    const uint8_t *msg, size_t msg_len) {
    if (seed_len != 32) {
        return LC_BAD_KEY_LEN;
    }
    uint8_t h[64], a[32], pub[32], r[32], k[32];
    crypto_hash_sha512_state st;
    expand_seed(h, a, seed);
    crypto_eddsa_scalarbase(pub, a);
    // r = SHA-512(prefix || M) mod L; R = [r]B
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, h + 32, 32);
    crypto_hash_sha512_update(&st, msg, msg_len);
    crypto_hash_sha512_final(&st, h);
    crypto_eddsa_reduce(r, h);
    crypto_eddsa_scalarbase(sig, r);
    // S = k * a + r mod L
    challenge(k, sig, pub, msg, msg_len);
    crypto_eddsa_mul_add(sig + 32, k, a, r);
    crypto_wipe(h, sizeof h);
    crypto_wipe(a, sizeof a);
    crypto_wipe(r, sizeof r);
    crypto_wipe(&st, sizeof st);
    return LC_OK;
}

// RFC 7748 X25519. The all-zero output of a small-order peer point is returned, not refused:
// callers that must reject it (Wycheproof marks it acceptable) compare with zero themselves.
lc_status lc_x25519(uint8_t out[32], const uint8_t *scalar, size_t scalar_len,
    const uint8_t *point, size_t point_len) {
    if (scalar_len != 32) {
        return LC_BAD_KEY_LEN;
    }
    if (point_len != 32) {
        return LC_BAD_POINT_LEN;
    }
    crypto_x25519(out, scalar, point);
    return LC_OK;
}

// clamp(scalar) * base on the Edwards curve's fixed-base comb, mapped to Montgomery u: with the
// three low bits cleared, Monocypher's crypto_x25519_dirty_fast gives exactly
// crypto_x25519_public_key's result (its manual) in a quarter of the ladder's instructions
// (~0.5 M instead of 2 M on the chip; two per opened envelope).
lc_status lc_x25519_public_key(uint8_t out[32], const uint8_t *scalar, size_t scalar_len) {
    if (scalar_len != 32) {
        return LC_BAD_KEY_LEN;
    }
    uint8_t k[32];
    memcpy(k, scalar, 32);
    k[0] &= 248;
    crypto_x25519_dirty_fast(out, k);
    crypto_wipe(k, sizeof(k));
    return LC_OK;
}

// One-shot AEAD on Monocypher's authenticated stream (its first message is exactly the RFC
// construction); the tag follows the ciphertext, as RFC 8439 prints it.
lc_status lc_aead_check(size_t key_len, size_t nonce_len, size_t want_nonce_len) {
    if (key_len != 32) {
        return LC_BAD_KEY_LEN;
    }
    if (nonce_len != want_nonce_len || (want_nonce_len != 12 && want_nonce_len != 24)) {
        return LC_BAD_NONCE_LEN;
    }
    return LC_OK;
}

static void aead_init(crypto_aead_ctx *ctx, const uint8_t *key, const uint8_t *nonce,
    size_t nonce_len) {
    if (nonce_len == 12) {
        crypto_aead_init_ietf(ctx, key, nonce);
    } else {
        crypto_aead_init_x(ctx, key, nonce);
    }
}

lc_status lc_aead_seal(uint8_t *out, const uint8_t *key, size_t key_len, const uint8_t *nonce,
    size_t nonce_len, size_t want_nonce_len, const uint8_t *text, size_t text_len,
    const uint8_t *aad, size_t aad_len) {
    lc_status st = lc_aead_check(key_len, nonce_len, want_nonce_len);
    if (st != LC_OK) {
        return st;
    }
    crypto_aead_ctx ctx;
    aead_init(&ctx, key, nonce, nonce_len);
    crypto_aead_write(&ctx, out, out + text_len, aad, aad_len, text, text_len);
    crypto_wipe(&ctx, sizeof ctx);
    return LC_OK;
}

lc_status lc_aead_open(uint8_t *out, const uint8_t *key, size_t key_len, const uint8_t *nonce,
    size_t nonce_len, size_t want_nonce_len, const uint8_t *text, size_t text_len,
    const uint8_t *aad, size_t aad_len) {
    lc_status st = lc_aead_check(key_len, nonce_len, want_nonce_len);
    if (st != LC_OK) {
        return st;
    }
    if (text_len < LC_TAG_SIZE) {
        return LC_SHORT_CIPHERTEXT;
    }
    size_t len = text_len - LC_TAG_SIZE;
    crypto_aead_ctx ctx;
    aead_init(&ctx, key, nonce, nonce_len);
    // Monocypher checks the tag before it decrypts anything (and then leaves out untouched).
    int bad = crypto_aead_read(&ctx, out, text + len, aad, aad_len, text, len);
    crypto_wipe(&ctx, sizeof ctx);
    return bad ? LC_AUTH_FAILED : LC_OK;
}

// The secp256k1 context lives in static memory, not the MicroPython heap: created on first use.
static uint64_t ctx_mem[64];
static secp256k1_context *ctx;

static const secp256k1_context *context(void) {
    if (ctx == NULL && secp256k1_context_preallocated_size(SECP256K1_CONTEXT_NONE) <= sizeof ctx_mem) {
        ctx = secp256k1_context_preallocated_create(ctx_mem, SECP256K1_CONTEXT_NONE);
    }
    return ctx;
}

void lc_sha256(uint8_t out[32], const uint8_t *data, size_t len) {
    secp256k1_sha256 h;
    secp256k1_sha256_initialize(&h);
    secp256k1_sha256_write(&h, data, len);
    secp256k1_sha256_finalize(&h, out);
}

void lc_sha256_parts(uint8_t out[32], size_t n, const uint8_t *const *part, const size_t *len) {
    secp256k1_sha256 h;
    secp256k1_sha256_initialize(&h);
    for (size_t i = 0; i < n; i++) {
        secp256k1_sha256_write(&h, part[i], len[i]);
    }
    secp256k1_sha256_finalize(&h, out);
}

// Same acceptance as lightclient/core/secp256k1.py: a 33-byte compressed (02/03) or 65-byte
// uncompressed (04) key on the curve, r and s in [1, n-1], s in the low half (the library's
// verify rejects a high s itself). Anything else is a false verdict.
bool lc_secp256k1_verify_digest(const uint8_t *pub, size_t pub_len, const uint8_t *digest,
    size_t digest_len, const uint8_t *sig, size_t sig_len) {
    const secp256k1_context *c = context();
    if (c == NULL || digest_len != 32 || sig_len != 64) {
        return false;
    }
    if (!((pub_len == 33 && (pub[0] == 2 || pub[0] == 3)) || (pub_len == 65 && pub[0] == 4))) {
        return false;  // the library also takes the hybrid 06/07 form, CometBFT does not
    }
    secp256k1_pubkey key;
    secp256k1_ecdsa_signature s;
    return secp256k1_ec_pubkey_parse(c, &key, pub, pub_len)
           && secp256k1_ecdsa_signature_parse_compact(c, &s, sig)  // 0 if r or s >= n
           && secp256k1_ecdsa_verify(c, &s, digest, &key);         // 0 if r or s is 0
}

bool lc_secp256k1_verify(const uint8_t *pub, size_t pub_len, const uint8_t *msg, size_t msg_len,
    const uint8_t *sig, size_t sig_len) {
    uint8_t digest[32];
    lc_sha256(digest, msg, msg_len);
    return lc_secp256k1_verify_digest(pub, pub_len, digest, 32, sig, sig_len);
}

lc_status lc_secp256k1_check_secret(const uint8_t *secret, size_t secret_len) {
    if (secret_len != 32) {
        return LC_BAD_KEY_LEN;
    }
    if (context() == NULL) {
        return LC_NO_CONTEXT;
    }
    return secp256k1_ec_seckey_verify(context(), secret) ? LC_OK : LC_KEY_OUT_OF_RANGE;
}

// RFC 6979 nonce (the library's default), s normalised low: 64 bytes r || s.
lc_status lc_secp256k1_sign_digest(uint8_t out[64], const uint8_t *secret, size_t secret_len,
    const uint8_t *digest, size_t digest_len) {
    lc_status st = lc_secp256k1_check_secret(secret, secret_len);
    if (st != LC_OK) {
        return st;
    }
    if (digest_len != 32) {
        return LC_BAD_DIGEST_LEN;
    }
    secp256k1_ecdsa_signature s;
    if (!secp256k1_ecdsa_sign(context(), &s, digest, secret, NULL, NULL)
        || !secp256k1_ecdsa_signature_serialize_compact(context(), out, &s)) {
        return LC_FAILED;
    }
    return LC_OK;
}

lc_status lc_secp256k1_sign(uint8_t out[64], const uint8_t *secret, size_t secret_len,
    const uint8_t *msg, size_t msg_len) {
    uint8_t digest[32];
    lc_sha256(digest, msg, msg_len);
    return lc_secp256k1_sign_digest(out, secret, secret_len, digest, 32);
}

lc_status lc_secp256k1_public_key(uint8_t *out, const uint8_t *secret, size_t secret_len,
    bool compressed) {
    lc_status st = lc_secp256k1_check_secret(secret, secret_len);
    if (st != LC_OK) {
        return st;
    }
    size_t len = compressed ? 33 : 65;
    secp256k1_pubkey key;
    if (!secp256k1_ec_pubkey_create(context(), &key, secret)
        || !secp256k1_ec_pubkey_serialize(context(), out, &len, &key,
            compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED)) {
        return LC_FAILED;
    }
    return LC_OK;
}

static void hmac(uint8_t out[32], const uint8_t *key, size_t key_len,
    const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
    secp256k1_hmac_sha256 h;
    secp256k1_hmac_sha256_initialize(&h, key, key_len);
    secp256k1_hmac_sha256_write(&h, a, a_len);
    secp256k1_hmac_sha256_write(&h, b, b_len);
    secp256k1_hmac_sha256_finalize(&h, out);
}

void lc_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *msg,
    size_t msg_len) {
    hmac(out, key, key_len, msg, msg_len, NULL, 0);
}

lc_status lc_hkdf_check(long long length) {
    return length < 0 || length > LC_HKDF_MAX_LEN ? LC_BAD_LENGTH : LC_OK;
}

// RFC 5869; an empty salt means 32 zero bytes, which HMAC's key padding makes the same thing.
lc_status lc_hkdf_sha256(uint8_t *okm, long long length, const uint8_t *ikm, size_t ikm_len,
    const uint8_t *salt, size_t salt_len, const uint8_t *info, size_t info_len) {
    lc_status st = lc_hkdf_check(length);
    if (st != LC_OK) {
        return st;
    }
    uint8_t prk[32], t[32];
    size_t t_len = 0, n = (size_t)length;
    hmac(prk, salt, salt_len, ikm, ikm_len, NULL, 0);
    for (size_t done = 0, i = 1; done < n; i++) {
        // T(i) = HMAC(PRK, T(i-1) || info || i)
        secp256k1_hmac_sha256 h;
        uint8_t counter = (uint8_t)i;
        secp256k1_hmac_sha256_initialize(&h, prk, 32);
        secp256k1_hmac_sha256_write(&h, t, t_len);
        secp256k1_hmac_sha256_write(&h, info, info_len);
        secp256k1_hmac_sha256_write(&h, &counter, 1);
        secp256k1_hmac_sha256_finalize(&h, t);
        t_len = 32;
        size_t take = n - done < 32 ? n - done : 32;
        memcpy(okm + done, t, take);
        done += take;
    }
    crypto_wipe(prk, sizeof prk);
    crypto_wipe(t, sizeof t);
    return LC_OK;
}

// CRC16-XMODEM (poly 0x1021, no reflection, no final xor), the SMP serial framing's checksum,
// bitwise (no table in flash). The Python table loop cost the chip's interpreter ~850
// instructions a byte: 8 M of the 100-validator update's.
// CRC16-XMODEM by the byte (frame.py's _CRC_TABLE, 512 bytes of flash): the bit loop cost ~50
// instructions a byte, 0.6 M on an OPEN_SETTINGS request and its answer.
static const uint16_t CRC16_XMODEM[256] = {
    0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50a5, 0x60c6, 0x70e7,
    0x8108, 0x9129, 0xa14a, 0xb16b, 0xc18c, 0xd1ad, 0xe1ce, 0xf1ef,
    0x1231, 0x0210, 0x3273, 0x2252, 0x52b5, 0x4294, 0x72f7, 0x62d6,
    0x9339, 0x8318, 0xb37b, 0xa35a, 0xd3bd, 0xc39c, 0xf3ff, 0xe3de,
    0x2462, 0x3443, 0x0420, 0x1401, 0x64e6, 0x74c7, 0x44a4, 0x5485,
    0xa56a, 0xb54b, 0x8528, 0x9509, 0xe5ee, 0xf5cf, 0xc5ac, 0xd58d,
    0x3653, 0x2672, 0x1611, 0x0630, 0x76d7, 0x66f6, 0x5695, 0x46b4,
    0xb75b, 0xa77a, 0x9719, 0x8738, 0xf7df, 0xe7fe, 0xd79d, 0xc7bc,
    0x48c4, 0x58e5, 0x6886, 0x78a7, 0x0840, 0x1861, 0x2802, 0x3823,
    0xc9cc, 0xd9ed, 0xe98e, 0xf9af, 0x8948, 0x9969, 0xa90a, 0xb92b,
    0x5af5, 0x4ad4, 0x7ab7, 0x6a96, 0x1a71, 0x0a50, 0x3a33, 0x2a12,
    0xdbfd, 0xcbdc, 0xfbbf, 0xeb9e, 0x9b79, 0x8b58, 0xbb3b, 0xab1a,
    0x6ca6, 0x7c87, 0x4ce4, 0x5cc5, 0x2c22, 0x3c03, 0x0c60, 0x1c41,
    0xedae, 0xfd8f, 0xcdec, 0xddcd, 0xad2a, 0xbd0b, 0x8d68, 0x9d49,
    0x7e97, 0x6eb6, 0x5ed5, 0x4ef4, 0x3e13, 0x2e32, 0x1e51, 0x0e70,
    0xff9f, 0xefbe, 0xdfdd, 0xcffc, 0xbf1b, 0xaf3a, 0x9f59, 0x8f78,
    0x9188, 0x81a9, 0xb1ca, 0xa1eb, 0xd10c, 0xc12d, 0xf14e, 0xe16f,
    0x1080, 0x00a1, 0x30c2, 0x20e3, 0x5004, 0x4025, 0x7046, 0x6067,
    0x83b9, 0x9398, 0xa3fb, 0xb3da, 0xc33d, 0xd31c, 0xe37f, 0xf35e,
    0x02b1, 0x1290, 0x22f3, 0x32d2, 0x4235, 0x5214, 0x6277, 0x7256,
    0xb5ea, 0xa5cb, 0x95a8, 0x8589, 0xf56e, 0xe54f, 0xd52c, 0xc50d,
    0x34e2, 0x24c3, 0x14a0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
    0xa7db, 0xb7fa, 0x8799, 0x97b8, 0xe75f, 0xf77e, 0xc71d, 0xd73c,
    0x26d3, 0x36f2, 0x0691, 0x16b0, 0x6657, 0x7676, 0x4615, 0x5634,
    0xd94c, 0xc96d, 0xf90e, 0xe92f, 0x99c8, 0x89e9, 0xb98a, 0xa9ab,
    0x5844, 0x4865, 0x7806, 0x6827, 0x18c0, 0x08e1, 0x3882, 0x28a3,
    0xcb7d, 0xdb5c, 0xeb3f, 0xfb1e, 0x8bf9, 0x9bd8, 0xabbb, 0xbb9a,
    0x4a75, 0x5a54, 0x6a37, 0x7a16, 0x0af1, 0x1ad0, 0x2ab3, 0x3a92,
    0xfd2e, 0xed0f, 0xdd6c, 0xcd4d, 0xbdaa, 0xad8b, 0x9de8, 0x8dc9,
    0x7c26, 0x6c07, 0x5c64, 0x4c45, 0x3ca2, 0x2c83, 0x1ce0, 0x0cc1,
    0xef1f, 0xff3e, 0xcf5d, 0xdf7c, 0xaf9b, 0xbfba, 0x8fd9, 0x9ff8,
    0x6e17, 0x7e36, 0x4e55, 0x5e74, 0x2e93, 0x3eb2, 0x0ed1, 0x1ef0,
};

uint16_t lc_crc16_xmodem(const uint8_t *data, size_t len, uint16_t crc) {
    for (size_t i = 0; i < len; i++) {
        crc = (uint16_t)((crc << 8) ^ CRC16_XMODEM[((crc >> 8) ^ data[i]) & 0xFF]);
    }
    return crc;
}

// SHA-256 of an optional tag byte (tag < 0: none) followed by a and b: plain SHA-256 and RFC
// 6962's leaf (tag 0x00) and inner node (tag 0x01) hashes, without joining the parts first.
void lc_sha256_tagged(uint8_t out[32], int tag, const uint8_t *a, size_t a_len,
    const uint8_t *b, size_t b_len) {
    secp256k1_sha256 h;
    secp256k1_sha256_initialize(&h);
    if (tag >= 0) {
        uint8_t t = (uint8_t)tag;
        secp256k1_sha256_write(&h, &t, 1);
    }
    secp256k1_sha256_write(&h, a, a_len);
    secp256k1_sha256_write(&h, b, b_len);
    secp256k1_sha256_finalize(&h, out);
}
