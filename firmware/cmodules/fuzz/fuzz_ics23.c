// ICS23 existence proofs (lc_ics23.c) on untrusted CommitmentProof bytes. Input:
// [spec][key length][value sel][key][value (32 bytes if value sel is odd)][proof]. The proof is
// its own exact-size heap block (AddressSanitizer sees any read past it). Properties: the result
// is a known check; an accepted proof's key is the key asked for and its key and value lie inside
// the proof; with the value it carries asked for, the same proof gives the same root; the same
// call twice gives the same answer.
#include "fuzz_input.h"
#include "lc_ics23.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {.p = data, .n = size};
    int spec = fuzz_byte(&in) & 1;
    size_t key_want = fuzz_byte(&in);
    int with_value = fuzz_byte(&in) & 1;
    size_t key_len, value_len = 0, proof_len;
    uint8_t *key = fuzz_take(&in, key_want, &key_len);
    uint8_t *value = with_value ? fuzz_take(&in, 32, &value_len) : NULL;
    uint8_t *proof = fuzz_rest(&in, &proof_len);
    lc_ics23_exist a, b;
    int st = lc_ics23_exist_root(&a, proof, proof_len, spec, key, key_len, value, value_len);
    FUZZ_CHECK(st >= LC_ICS23_OK && st <= LC_ICS23_LEAF_VALUE_EMPTY, "a known check");
    int again = lc_ics23_exist_root(&b, proof, proof_len, spec, key, key_len, value, value_len);
    FUZZ_CHECK(again == st, "the same answer twice");
    if (st == LC_ICS23_OK) {
        FUZZ_CHECK(memcmp(a.root, b.root, 32) == 0, "the same root twice");
        FUZZ_CHECK(a.key_len == key_len && memcmp(a.key, key, key_len) == 0, "the key asked for");
        FUZZ_CHECK(a.key >= proof && a.key + a.key_len <= proof + proof_len, "key in the proof");
        FUZZ_CHECK(a.value > proof && a.value + a.value_len <= proof + proof_len,
                   "value in the proof");
        if (value != NULL) {
            FUZZ_CHECK(a.value_len == value_len && memcmp(a.value, value, value_len) == 0,
                       "the value asked for");
        } else {
            uint8_t *v = malloc(a.value_len);
            FUZZ_CHECK(v != NULL, "memory");
            memcpy(v, a.value, a.value_len);
            st = lc_ics23_exist_root(&b, proof, proof_len, spec, key, key_len, v, a.value_len);
            FUZZ_CHECK(st == LC_ICS23_OK && memcmp(a.root, b.root, 32) == 0,
                       "the carried value asked for gives the same root");
            free(v);
        }
    }
    fuzz_free(&in);
    return 0;
}
