// (X)ChaCha20-Poly1305 open (and seal). Input: [construction][key length sel][nonce length sel]
// [aad length][flip] key nonce aad text. Properties: the checks come in the documented order
// (key, nonce, tag length); a failed open leaves the output untouched; open(seal(p)) == p for the
// fuzzed key, nonce, aad and text; any one-bit change of ciphertext, tag or aad fails.
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {.p = data, .n = size};
    size_t want_nonce = (fuzz_byte(&in) & 1) ? 24 : 12;
    size_t k_want = fuzz_len(fuzz_byte(&in), 32), n_want = fuzz_len(fuzz_byte(&in), want_nonce);
    size_t a_want = fuzz_byte(&in);
    uint8_t flip = fuzz_byte(&in);
    size_t k_len, n_len, a_len, t_len;
    uint8_t *key = fuzz_take(&in, k_want, &k_len);
    uint8_t *nonce = fuzz_take(&in, n_want, &n_len);
    uint8_t *aad = fuzz_take(&in, a_want, &a_len);
    uint8_t *text = fuzz_rest(&in, &t_len);

    lc_status want = k_len != 32 ? LC_BAD_KEY_LEN : n_len != want_nonce ? LC_BAD_NONCE_LEN
        : t_len < LC_TAG_SIZE ? LC_SHORT_CIPHERTEXT : LC_OK;
    FUZZ_CHECK(lc_aead_check(k_len, n_len, want_nonce) == (want == LC_SHORT_CIPHERTEXT ? LC_OK : want),
        "check order: key, nonce");
    size_t pt_len = t_len < LC_TAG_SIZE ? 0 : t_len - LC_TAG_SIZE;
    uint8_t *pt = malloc(pt_len + 1);
    memset(pt, 0xA5, pt_len + 1);
    lc_status st = lc_aead_open(pt, key, k_len, nonce, n_len, want_nonce, text, t_len, aad, a_len);
    FUZZ_CHECK(st == want || (want == LC_OK && st == LC_AUTH_FAILED), "open's status");
    if (st != LC_OK) {
        for (size_t i = 0; i < pt_len; i++) {
            FUZZ_CHECK(pt[i] == 0xA5, "a failed open writes nothing");
        }
    }
    free(pt);

    if (want == LC_OK || want == LC_SHORT_CIPHERTEXT) {
        // the text as plaintext: seal, open, then break one bit
        size_t ct_len = t_len + LC_TAG_SIZE;
        uint8_t *ct = malloc(ct_len), *back = malloc(t_len + 1);
        FUZZ_CHECK(lc_aead_seal(ct, key, 32, nonce, n_len, want_nonce, text, t_len, aad, a_len) == LC_OK, "seal");
        FUZZ_CHECK(lc_aead_open(back, key, 32, nonce, n_len, want_nonce, ct, ct_len, aad, a_len) == LC_OK
            && memcmp(back, text, t_len) == 0, "open(seal(p)) == p");
        size_t bit = ((size_t)flip * 131) % ((ct_len + a_len) * 8);
        uint8_t *where = bit / 8 < ct_len ? ct + bit / 8 : aad + (bit / 8 - ct_len);
        *where ^= (uint8_t)(1u << (bit & 7));
        FUZZ_CHECK(lc_aead_open(back, key, 32, nonce, n_len, want_nonce, ct, ct_len, aad, a_len)
            == LC_AUTH_FAILED, "a changed ciphertext, tag or aad fails");
        free(ct);
        free(back);
    }
    fuzz_free(&in);
    return 0;
}
