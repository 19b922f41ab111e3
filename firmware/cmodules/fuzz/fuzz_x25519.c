// X25519. Input: [scalar length sel][point length sel] scalar point. Properties: each wrong
// length gets its status and nothing else; the result ignores the point's top bit (RFC 7748);
// Diffie-Hellman agrees for two scalars derived from the input; the public key (fixed-base comb)
// equals the ladder on the base point 9.
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {.p = data, .n = size};
    size_t s_want = fuzz_len(fuzz_byte(&in), 32), p_want = fuzz_len(fuzz_byte(&in), 32);
    size_t s_len, p_len;
    uint8_t *scalar = fuzz_take(&in, s_want, &s_len);
    uint8_t *point = fuzz_take(&in, p_want, &p_len);
    uint8_t out[32], out2[32];

    lc_status st = lc_x25519(out, scalar, s_len, point, p_len);
    FUZZ_CHECK(st == (s_len != 32 ? LC_BAD_KEY_LEN : p_len != 32 ? LC_BAD_POINT_LEN : LC_OK),
        "x25519 checks the scalar, then the point");
    FUZZ_CHECK(lc_x25519_public_key(out2, scalar, s_len) == (s_len == 32 ? LC_OK : LC_BAD_KEY_LEN),
        "public key checks the scalar");
    if (st == LC_OK) {
        point[31] ^= 0x80;
        FUZZ_CHECK(lc_x25519(out2, scalar, 32, point, 32) == LC_OK && memcmp(out, out2, 32) == 0,
            "the point's top bit is ignored");
    }

    uint8_t h[64], pa[32], pb[32], ab[32], ba[32];
    lc_sha512(h, data, size);
    FUZZ_CHECK(lc_x25519_public_key(pa, h, 32) == LC_OK && lc_x25519_public_key(pb, h + 32, 32) == LC_OK,
        "public keys");
    static const uint8_t base[32] = {9};
    FUZZ_CHECK(lc_x25519(ab, h, 32, base, 32) == LC_OK && memcmp(ab, pa, 32) == 0,
        "public key == X25519(k, 9)");
    FUZZ_CHECK(lc_x25519(ab, h, 32, pb, 32) == LC_OK && lc_x25519(ba, h + 32, 32, pa, 32) == LC_OK
        && memcmp(ab, ba, 32) == 0, "Diffie-Hellman agrees");
    fuzz_free(&in);
    return 0;
}
