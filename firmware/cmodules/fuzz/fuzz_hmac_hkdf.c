// HMAC-SHA256 and HKDF-SHA256. Input: [key/ikm length][salt length][info length][okm length, 2
// bytes] key salt info msg. Properties: HMAC equals HMAC under SHA-256(key) for keys over 64
// bytes and under the zero-padded key otherwise (RFC 2104); hkdf refuses lengths past 8160; its
// output is a prefix of a longer one and starts with HMAC(HMAC(salt, ikm), info || 1) (RFC 5869).
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {.p = data, .n = size};
    size_t k_want = fuzz_byte(&in), s_want = fuzz_byte(&in), i_want = fuzz_byte(&in);
    long long length = fuzz_byte(&in) << 8;
    length |= fuzz_byte(&in);
    if (length & 0x8000) {
        length = -(length & 0x7fff);
    }
    size_t k_len, s_len, i_len, m_len;
    uint8_t *key = fuzz_take(&in, k_want, &k_len);
    uint8_t *salt = fuzz_take(&in, s_want, &s_len);
    uint8_t *info = fuzz_take(&in, i_want, &i_len);
    uint8_t *msg = fuzz_rest(&in, &m_len);

    uint8_t mac[32], mac2[32], k2[64] = {0};
    lc_hmac_sha256(mac, key, k_len, msg, m_len);
    if (k_len > 64) {
        lc_sha256(k2, key, k_len);
    } else {
        memcpy(k2, key, k_len);
    }
    lc_hmac_sha256(mac2, k2, 64, msg, m_len);
    FUZZ_CHECK(memcmp(mac, mac2, 32) == 0, "HMAC's key rule (hash if long, zero-pad)");

    lc_status st = lc_hkdf_check(length);
    FUZZ_CHECK(st == (length < 0 || length > 8160 ? LC_BAD_LENGTH : LC_OK), "hkdf length bound");
    if (st != LC_OK) {
        FUZZ_CHECK(lc_hkdf_sha256(NULL, length, key, k_len, salt, s_len, info, i_len) == LC_BAD_LENGTH,
            "hkdf refuses before writing");
    } else {
        size_t n = (size_t)length, longer = n + 32 > 8160 ? 8160 : n + 32;
        uint8_t *okm = malloc(n ? n : 1), *okm2 = malloc(longer), prk[32], t1[32];
        FUZZ_CHECK(lc_hkdf_sha256(okm, length, key, k_len, salt, s_len, info, i_len) == LC_OK, "hkdf");
        FUZZ_CHECK(lc_hkdf_sha256(okm2, (long long)longer, key, k_len, salt, s_len, info, i_len) == LC_OK
            && memcmp(okm, okm2, n) == 0, "a shorter output is a prefix of a longer one");
        uint8_t *info1 = malloc(i_len + 1);
        memcpy(info1, info, i_len);
        info1[i_len] = 1;
        lc_hmac_sha256(prk, salt, s_len, key, k_len);
        lc_hmac_sha256(t1, prk, 32, info1, i_len + 1);
        FUZZ_CHECK(memcmp(okm2, t1, longer < 32 ? longer : 32) == 0, "T(1) = HMAC(PRK, info || 1)");
        free(info1);
        free(okm);
        free(okm2);
    }
    fuzz_free(&in);
    return 0;
}
