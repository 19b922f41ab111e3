// Ed25519 (ZIP-215 verify, RFC 8032 sign and public key). Input: [pub length sel][sig length
// sel] pub sig msg. Properties: a wrong length is a false verdict; the verdict is the same twice;
// for a key derived from the input, verify(sign(msg)) holds and a one-bit change of the signature
// or the message makes it fail.
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {.p = data, .n = size};
    size_t pub_want = fuzz_len(fuzz_byte(&in), 32), sig_want = fuzz_len(fuzz_byte(&in), 64);
    uint8_t flip = fuzz_byte(&in);
    size_t pub_len, sig_len, msg_len;
    uint8_t *pub = fuzz_take(&in, pub_want, &pub_len);
    uint8_t *sig = fuzz_take(&in, sig_want, &sig_len);
    uint8_t *msg = fuzz_rest(&in, &msg_len);

    bool v = lc_ed25519_verify(pub, pub_len, msg, msg_len, sig, sig_len);
    FUZZ_CHECK(v == lc_ed25519_verify(pub, pub_len, msg, msg_len, sig, sig_len), "verdict is stable");
    if (pub_len != 32 || sig_len != 64) {
        FUZZ_CHECK(!v, "a wrong length is a false verdict");
    }
    uint8_t h[64], seed[32], pk[32], s[64];
    FUZZ_CHECK(lc_ed25519_public_key(pk, pub, pub_len) == (pub_len == 32 ? LC_OK : LC_BAD_KEY_LEN),
        "public_key checks the seed length");

    lc_sha512(h, data, size);
    memcpy(seed, h, 32);
    FUZZ_CHECK(lc_ed25519_public_key(pk, seed, 32) == LC_OK, "public key");
    FUZZ_CHECK(lc_ed25519_sign(s, seed, 32, msg, msg_len) == LC_OK, "sign");
    FUZZ_CHECK(lc_ed25519_verify(pk, 32, msg, msg_len, s, 64), "verify(sign(m)) holds");
    s[(flip >> 3) % 64] ^= (uint8_t)(1u << (flip & 7));
    FUZZ_CHECK(!lc_ed25519_verify(pk, 32, msg, msg_len, s, 64), "a changed signature fails");
    s[(flip >> 3) % 64] ^= (uint8_t)(1u << (flip & 7));
    if (msg_len) {
        msg[flip % msg_len] ^= 1;
        FUZZ_CHECK(!lc_ed25519_verify(pk, 32, msg, msg_len, s, 64), "a changed message fails");
    }
    fuzz_free(&in);
    return 0;
}
