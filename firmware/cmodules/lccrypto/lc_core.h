// The pure C core of lccrypto: every length check and every rule (ZIP-215, low s, key forms,
// ranges) lives here, on plain (pointer, length) arguments with a status result, so the libFuzzer
// harnesses (firmware/cmodules/fuzz/) exercise exactly what the chip runs. No MicroPython here:
// the lc_*.c bindings are thin mp_obj_t wrappers that map each status to the documented error.
#ifndef LC_CORE_H
#define LC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    LC_OK = 0,
    LC_BAD_KEY_LEN,      // a key / seed / scalar of the wrong length
    LC_BAD_POINT_LEN,    // x25519's peer point not 32 bytes
    LC_BAD_NONCE_LEN,    // AEAD nonce neither 12 nor 24 bytes as the construction wants
    LC_BAD_DIGEST_LEN,   // a digest not 32 bytes
    LC_SHORT_CIPHERTEXT, // AEAD input shorter than its tag
    LC_AUTH_FAILED,      // AEAD tag mismatch (nothing decrypted is kept)
    LC_KEY_OUT_OF_RANGE, // secp256k1 secret not in [1, n-1]
    LC_BAD_LENGTH,       // hkdf length outside 0..LC_HKDF_MAX_LEN
    LC_FAILED,           // the library refused (signing / key derivation)
    LC_NO_CONTEXT,       // the secp256k1 context does not fit its static buffer
    LC_BAD_POINT,        // not the canonical encoding of an edwards25519 point
    LC_BAD_SCALAR,       // a group scalar not 32 bytes below 2^255
} lc_status;

#define LC_TAG_SIZE 16
#define LC_HKDF_MAX_LEN (255 * 32)

void lc_sha512(uint8_t out[64], const uint8_t *data, size_t len);
// Verdicts: true only for a valid signature; wrong lengths are false, never an error.
bool lc_ed25519_verify(const uint8_t *pub, size_t pub_len, const uint8_t *msg, size_t msg_len,
    const uint8_t *sig, size_t sig_len);
lc_status lc_ed25519_public_key(uint8_t out[32], const uint8_t *seed, size_t seed_len);
lc_status lc_ed25519_sign(uint8_t out[64], const uint8_t *seed, size_t seed_len,
    const uint8_t *msg, size_t msg_len);
lc_status lc_x25519(uint8_t out[32], const uint8_t *scalar, size_t scalar_len,
    const uint8_t *point, size_t point_len);
lc_status lc_x25519_public_key(uint8_t out[32], const uint8_t *scalar, size_t scalar_len);

// The edwards25519 group on libsodium's ref10, for SPAKE2+ (RFC 9383's edwards25519 suite):
// points are canonical 32-byte RFC 8032 encodings (anything else LC_BAD_POINT), scalars 32 bytes
// little-endian below 2^255 (ref10's constant-time ladder takes no more; LC_BAD_SCALAR), not
// reduced, so a multiple of the cofactor still clears a torsion part.
lc_status lc_ed25519_point_mul(uint8_t out[32], const uint8_t *scalar, size_t scalar_len,
    const uint8_t *point, size_t point_len);
lc_status lc_ed25519_base_mul(uint8_t out[32], const uint8_t *scalar, size_t scalar_len);
lc_status lc_ed25519_point_add(uint8_t out[32], const uint8_t *p, size_t p_len, const uint8_t *q,
    size_t q_len, bool subtract);

// AEAD: nonce_len 12 is ChaCha20-Poly1305 (RFC 8439), 24 XChaCha20-Poly1305. Checks happen
// before anything is written to out; lc_aead_check_* let a caller size `out` first.
lc_status lc_aead_check(size_t key_len, size_t nonce_len, size_t want_nonce_len);
// out: text_len + LC_TAG_SIZE bytes (ciphertext || tag).
lc_status lc_aead_seal(uint8_t *out, const uint8_t *key, size_t key_len, const uint8_t *nonce,
    size_t nonce_len, size_t want_nonce_len, const uint8_t *text, size_t text_len,
    const uint8_t *aad, size_t aad_len);
// out: text_len - LC_TAG_SIZE bytes; wiped on LC_AUTH_FAILED.
lc_status lc_aead_open(uint8_t *out, const uint8_t *key, size_t key_len, const uint8_t *nonce,
    size_t nonce_len, size_t want_nonce_len, const uint8_t *text, size_t text_len,
    const uint8_t *aad, size_t aad_len);

void lc_sha256(uint8_t out[32], const uint8_t *data, size_t len);
// SHA-256 of the n parts part[i] (len[i] bytes each) one after the other.
void lc_sha256_parts(uint8_t out[32], size_t n, const uint8_t *const *part, const size_t *len);
bool lc_secp256k1_verify(const uint8_t *pub, size_t pub_len, const uint8_t *msg, size_t msg_len,
    const uint8_t *sig, size_t sig_len);
bool lc_secp256k1_verify_digest(const uint8_t *pub, size_t pub_len, const uint8_t *digest,
    size_t digest_len, const uint8_t *sig, size_t sig_len);
// Checks a secret key: LC_OK, LC_BAD_KEY_LEN, LC_KEY_OUT_OF_RANGE or LC_NO_CONTEXT.
lc_status lc_secp256k1_check_secret(const uint8_t *secret, size_t secret_len);
lc_status lc_secp256k1_sign_digest(uint8_t out[64], const uint8_t *secret, size_t secret_len,
    const uint8_t *digest, size_t digest_len);
lc_status lc_secp256k1_sign(uint8_t out[64], const uint8_t *secret, size_t secret_len,
    const uint8_t *msg, size_t msg_len);
// out: 33 bytes when compressed, else 65.
lc_status lc_secp256k1_public_key(uint8_t *out, const uint8_t *secret, size_t secret_len,
    bool compressed);
void lc_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len, const uint8_t *msg,
    size_t msg_len);
// out: `length` bytes (checked first: LC_BAD_LENGTH outside 0..LC_HKDF_MAX_LEN).
lc_status lc_hkdf_check(long long length);
lc_status lc_hkdf_sha256(uint8_t *out, long long length, const uint8_t *ikm, size_t ikm_len,
    const uint8_t *salt, size_t salt_len, const uint8_t *info, size_t info_len);

// CRC16-XMODEM of data, continuing from crc (0 to start): the SMP serial framing's checksum.
uint16_t lc_crc16_xmodem(const uint8_t *data, size_t len, uint16_t crc);

// SHA-256(tag || a || b), tag < 0: no tag byte; RFC 6962: leaf = tag 0, inner node = tag 1.
void lc_sha256_tagged(uint8_t out[32], int tag, const uint8_t *a, size_t a_len,
    const uint8_t *b, size_t b_len);

#endif
