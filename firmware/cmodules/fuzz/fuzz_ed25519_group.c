// The edwards25519 group for SPAKE2+. Input: [scalar length sel][point length sel] scalar point.
// Properties: each wrong length, a scalar >= 2^255 and a point that is not a canonical encoding
// get their status and nothing else; a point that decodes comes back byte for byte from p + 0;
// (p + q) - q = p; the base multiplication equals the variable-base one at the base point.
#include "fuzz_input.h"

static const uint8_t BASE[32] = {
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
static const uint8_t IDENTITY[32] = {1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {.p = data, .n = size};
    size_t s_want = fuzz_len(fuzz_byte(&in), 32), p_want = fuzz_len(fuzz_byte(&in), 32);
    size_t s_len, p_len;
    uint8_t *scalar = fuzz_take(&in, s_want, &s_len);
    uint8_t *point = fuzz_take(&in, p_want, &p_len);
    uint8_t out[32], back[32], q[32], sum[32], diff[32], viabase[32];

    bool scalar_ok = s_len == 32 && !(scalar[31] & 0x80);
    lc_status padd = lc_ed25519_point_add(back, point, p_len, IDENTITY, 32, false);
    FUZZ_CHECK(padd == LC_OK || padd == LC_BAD_POINT, "add: ok or a bad point");
    FUZZ_CHECK(padd != LC_OK || memcmp(back, point, 32) == 0, "p + 0 = p, canonical");
    lc_status st = lc_ed25519_point_mul(out, scalar, s_len, point, p_len);
    FUZZ_CHECK(st == (!scalar_ok ? LC_BAD_SCALAR : padd != LC_OK ? LC_BAD_POINT : LC_OK),
        "mul checks the scalar, then the point");
    lc_status bst = lc_ed25519_base_mul(out, scalar, s_len);
    FUZZ_CHECK(bst == (scalar_ok ? LC_OK : LC_BAD_SCALAR), "base mul checks the scalar");
    if (bst == LC_OK) {
        FUZZ_CHECK(lc_ed25519_point_mul(viabase, scalar, 32, BASE, 32) == LC_OK
            && memcmp(out, viabase, 32) == 0, "k*B by either function");
    }
    if (padd == LC_OK) {
        uint8_t h[64];
        lc_sha512(h, data, size);
        h[31] &= 0x7f;
        FUZZ_CHECK(lc_ed25519_base_mul(q, h, 32) == LC_OK, "q");
        FUZZ_CHECK(lc_ed25519_point_add(sum, point, 32, q, 32, false) == LC_OK
            && lc_ed25519_point_add(diff, sum, 32, q, 32, true) == LC_OK
            && memcmp(diff, point, 32) == 0, "(p + q) - q = p");
    }
    fuzz_free(&in);
    return 0;
}
