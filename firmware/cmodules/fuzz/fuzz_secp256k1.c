// secp256k1 ECDSA verify (message and digest entry points, every key form). Input: [key form]
// [key length sel][sig length sel][flip] pub sig msg. Properties: the message and digest paths
// agree; a key that parses gives the same verdict in its other SEC1 form and false in the
// library's hybrid 06/07 form; a true verdict has r, s in [1, n-1] with s low; for a secret derived
// from the input, sign verifies with both key forms, sign == sign_digest(sha256), and the high-s
// twin n - s and a one-bit change both fail.
#include "fuzz_input.h"
#include "secp256k1.h"

static const uint8_t N[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
static const uint8_t HALF_N[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};
static const uint8_t ZERO[32];

// out = N - s, big-endian.
static void negate(uint8_t out[32], const uint8_t s[32]) {
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = N[i] - s[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow << 8));
    }
}

static secp256k1_context *harness_ctx;

static bool verify_both(const uint8_t *pub, size_t pub_len, const uint8_t *msg, size_t msg_len,
    const uint8_t *sig, size_t sig_len) {
    uint8_t digest[32];
    bool v = lc_secp256k1_verify(pub, pub_len, msg, msg_len, sig, sig_len);
    lc_sha256(digest, msg, msg_len);
    FUZZ_CHECK(v == lc_secp256k1_verify_digest(pub, pub_len, digest, 32, sig, sig_len),
        "message and digest paths agree");
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (harness_ctx == NULL) {
        harness_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    }
    fuzz_in in = {.p = data, .n = size};
    uint8_t form = fuzz_byte(&in);
    size_t pub_want = fuzz_len(fuzz_byte(&in), (form & 1) ? 65 : 33);
    size_t sig_want = fuzz_len(fuzz_byte(&in), 64);
    uint8_t flip = fuzz_byte(&in);
    size_t pub_len, sig_len, msg_len, d_len;
    uint8_t *pub = fuzz_take(&in, pub_want, &pub_len);
    uint8_t *sig = fuzz_take(&in, sig_want, &sig_len);
    uint8_t *msg = fuzz_rest(&in, &msg_len);
    if (form & 2) {
        pub[0] = (form & 1) ? 4 : (uint8_t)(2 + ((form >> 2) & 1));  // help the fuzzer to a parseable key
    }

    bool v = verify_both(pub, pub_len, msg, msg_len, sig, sig_len);
    // the digest entry point takes any length: only 32 can be true
    uint8_t *digest = fuzz_take(&(fuzz_in){.p = msg, .n = msg_len}, 32 + (flip & 1), &d_len);
    bool vd = lc_secp256k1_verify_digest(pub, pub_len, digest, d_len, sig, sig_len);
    free(digest);
    FUZZ_CHECK(!vd || d_len == 32, "a digest not 32 bytes is false");
    if (v || vd) {
        FUZZ_CHECK(sig_len == 64 && memcmp(sig, ZERO, 32) != 0 && memcmp(sig + 32, ZERO, 32) != 0
            && memcmp(sig, N, 32) < 0 && memcmp(sig + 32, HALF_N, 32) <= 0,
            "a true verdict has r, s in range and s low");
    }

    secp256k1_pubkey key;
    if (pub_len >= 1 && secp256k1_ec_pubkey_parse(harness_ctx, &key, pub, pub_len)) {
        uint8_t other[65], hybrid[65];
        size_t other_len = 65, hybrid_len = 65;
        bool compressed = pub_len == 33;
        secp256k1_ec_pubkey_serialize(harness_ctx, other, &other_len, &key,
            compressed ? SECP256K1_EC_UNCOMPRESSED : SECP256K1_EC_COMPRESSED);
        secp256k1_ec_pubkey_serialize(harness_ctx, hybrid, &hybrid_len, &key, SECP256K1_EC_UNCOMPRESSED);
        hybrid[0] = 6 | (hybrid[64] & 1);
        bool canonical = (pub_len == 33 && pub[0] <= 3) || (pub_len == 65 && pub[0] == 4);
        FUZZ_CHECK(!canonical || v == verify_both(other, other_len, msg, msg_len, sig, sig_len),
            "both SEC1 forms of a key give one verdict");
        FUZZ_CHECK(!verify_both(hybrid, 65, msg, msg_len, sig, sig_len), "the hybrid form is refused");
    }

    uint8_t secret[32], pk33[33], pk65[65], rs[64], rs2[64], digest32[32];
    lc_sha256(secret, data, size);
    if (lc_secp256k1_check_secret(secret, 32) == LC_OK) {
        FUZZ_CHECK(lc_secp256k1_public_key(pk33, secret, 32, true) == LC_OK, "public key (33)");
        FUZZ_CHECK(lc_secp256k1_public_key(pk65, secret, 32, false) == LC_OK, "public key (65)");
        FUZZ_CHECK(lc_secp256k1_sign(rs, secret, 32, msg, msg_len) == LC_OK, "sign");
        lc_sha256(digest32, msg, msg_len);
        FUZZ_CHECK(lc_secp256k1_sign_digest(rs2, secret, 32, digest32, 32) == LC_OK
            && memcmp(rs, rs2, 64) == 0, "sign == sign_digest(sha256(msg))");
        FUZZ_CHECK(memcmp(rs + 32, HALF_N, 32) <= 0, "signatures are low-s");
        FUZZ_CHECK(verify_both(pk33, 33, msg, msg_len, rs, 64), "verify(sign(m)), compressed key");
        FUZZ_CHECK(verify_both(pk65, 65, msg, msg_len, rs, 64), "verify(sign(m)), uncompressed key");
        memcpy(rs2, rs, 32);
        negate(rs2 + 32, rs + 32);
        FUZZ_CHECK(!verify_both(pk33, 33, msg, msg_len, rs2, 64), "the high-s twin fails");
        rs[(flip >> 3) % 64] ^= (uint8_t)(1u << (flip & 7));
        FUZZ_CHECK(!verify_both(pk33, 33, msg, msg_len, rs, 64), "a changed signature fails");
    }
    if (lc_secp256k1_check_secret(secret, 32) == LC_OK) {
        FUZZ_CHECK(lc_secp256k1_sign_digest(rs, secret, 32, msg, msg_len)
            == (msg_len == 32 ? LC_OK : LC_BAD_DIGEST_LEN), "sign_digest checks the digest length");
    }
    // the fuzzed key bytes as a secret: length, then the range the library checks
    lc_status st = lc_secp256k1_check_secret(pub, pub_len);
    FUZZ_CHECK(pub_len == 32 ? st == (secp256k1_ec_seckey_verify(harness_ctx, pub) ? LC_OK : LC_KEY_OUT_OF_RANGE)
        : st == LC_BAD_KEY_LEN, "secret key checks");
    fuzz_free(&in);
    return 0;
}
