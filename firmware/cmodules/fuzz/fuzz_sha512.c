// SHA-512 (libsodium's, which Ed25519's challenge feeds in pieces). Input: [cut][cut] data.
// Property: the one-shot digest equals the incremental one over three pieces cut where the input
// says, and differs after a one-bit change.
#include "fuzz_input.h"
#include "crypto_hash_sha512.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {.p = data, .n = size};
    uint8_t c1 = fuzz_byte(&in), c2 = fuzz_byte(&in);
    size_t len;
    uint8_t *msg = fuzz_rest(&in, &len);
    size_t a = len ? c1 % (len + 1) : 0, b = a + (len - a ? c2 % (len - a + 1) : 0);
    uint8_t one[64], inc[64];
    crypto_hash_sha512_state st;
    lc_sha512(one, msg, len);
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, msg, a);
    crypto_hash_sha512_update(&st, msg + a, b - a);
    crypto_hash_sha512_update(&st, msg + b, len - b);
    crypto_hash_sha512_final(&st, inc);
    FUZZ_CHECK(memcmp(one, inc, 64) == 0, "one-shot == incremental");
    if (len) {
        msg[c1 % len] ^= (uint8_t)(1u << (c2 & 7));
        lc_sha512(inc, msg, len);
        FUZZ_CHECK(memcmp(one, inc, 64) != 0, "a changed input changes the digest");
    }
    fuzz_free(&in);
    return 0;
}
