// ICS23 existence proofs in C (lc_ics23.h): ics23_types.decode_commitment_proof's protobuf rules
// (every varint and length bounded against what is left of its message, last-one-wins singular
// fields, field counts bounded) and ics23.existence_root's spec checks, in Python's order, for
// the IAVL and simple (multistore) specs, whose leaf op is fixed: SHA-256 of
// prefix || varint(len key) || key || varint(32) || SHA-256(value); each inner op SHA-256 of
// prefix || child || suffix.
#include <string.h>
#include "lc_core.h"
#include "lc_ics23.h"

#define MAX_PROOF_BYTES (128 * 1024)
#define MAX_KEY_LEN 4096
#define MAX_VALUE_LEN (64 * 1024)
#define MAX_PATH_DEPTH 256
#define MAX_DEPTH 128        // the specs' max_depth 0: the reference's default

typedef struct {
    unsigned count;          // occurrences
    uint8_t wire;            // the last one's wire type
    uint8_t all_len;         // every occurrence a LEN field (get_all's check)
    uint64_t v;              // the last one's value (VARINT)
    const uint8_t *p;        // the last one's bytes (LEN)
    size_t n;
} field_t;

enum { VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5 };

// proto.read_uvarint: at most 10 bytes, the 10th holding only the top bit
static int uvarint(const uint8_t *p, size_t end, size_t *pos, uint64_t *out) {
    uint64_t r = 0;
    unsigned shift = 0;
    for (;;) {
        if (*pos >= end) {
            return LC_ICS23_PROTO_TRUNCATED;
        }
        uint8_t b = p[(*pos)++];
        if (shift == 63 && b > 1) {
            return LC_ICS23_PROTO_VARINT_OVERFLOW;
        }
        r |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80) {
            *out = r;
            return LC_ICS23_OK;
        }
        shift += 7;
    }
}

// proto.fields(buf, max_fields): fields 1..nf kept in f[0..nf-1], others only counted
static int scan(const uint8_t *p, size_t end, unsigned max_fields, field_t *f, unsigned nf) {
    memset(f, 0, nf * sizeof *f);
    for (unsigned i = 0; i < nf; i++) {
        f[i].all_len = 1;
    }
    size_t pos = 0;
    unsigned count = 0;
    while (pos < end) {
        uint64_t key, v = 0;
        int st = uvarint(p, end, &pos, &key);
        if (st) {
            return st;
        }
        uint64_t field = key >> 3;
        unsigned wire = key & 7;
        if (field == 0 || field > 0x1FFFFFFF) {
            return LC_ICS23_PROTO_FIELD_NUMBER;
        }
        const uint8_t *body = NULL;
        size_t n = 0;
        if (wire == VARINT) {
            st = uvarint(p, end, &pos, &v);
            if (st) {
                return st;
            }
        } else if (wire == LEN) {
            uint64_t len;
            st = uvarint(p, end, &pos, &len);
            if (st) {
                return st;
            }
            if (len > end - pos) {
                return LC_ICS23_PROTO_TRUNCATED;
            }
            body = p + pos;
            n = (size_t)len;
            pos += n;
        } else if (wire == FIXED64 || wire == FIXED32) {
            size_t size = wire == FIXED64 ? 8 : 4;
            if (size > end - pos) {
                return LC_ICS23_PROTO_TRUNCATED;
            }
            pos += size;   // no field kept here is fixed: its value is never read
        } else {
            return LC_ICS23_PROTO_WIRE_TYPE;
        }
        if (++count > max_fields) {
            return LC_ICS23_PROTO_TOO_MANY_FIELDS;
        }
        if (field <= nf) {
            field_t *x = &f[field - 1];
            x->count++;
            x->wire = (uint8_t)wire;
            x->all_len &= wire == LEN;
            x->v = v;
            x->p = body;
            x->n = n;
        }
    }
    return LC_ICS23_OK;
}

static const uint8_t empty[1];

// proto.get_one(fs, field, LEN, default b""): the last occurrence, which must be LEN
static int get_bytes(const field_t *x, const uint8_t **p, size_t *n) {
    *p = empty;
    *n = 0;
    if (x->count == 0) {
        return LC_ICS23_OK;
    }
    if (x->wire != LEN) {
        return LC_ICS23_PROTO_WIRE_TYPE;
    }
    *p = x->p;
    *n = x->n;
    return LC_ICS23_OK;
}

// ics23_types._enum: an int32 VARINT field, 0 when absent
static int get_enum(const field_t *x, int64_t *out) {
    *out = 0;
    if (x->count == 0) {
        return LC_ICS23_OK;
    }
    if (x->wire != VARINT) {
        return LC_ICS23_PROTO_WIRE_TYPE;
    }
    int64_t v = (int64_t)x->v;
    if (v < -2147483648LL || v > 2147483647LL) {
        return LC_ICS23_PROTO_INT32_RANGE;
    }
    *out = v;
    return LC_ICS23_OK;
}

// ics23.validate_iavl_op: height, size, version (zig-zag) at the start of the prefix
static int iavl_op(const uint8_t *prefix, size_t n, int64_t layer) {
    size_t pos = 0;
    int64_t v[3];
    for (int i = 0; i < 3; i++) {
        uint64_t u;
        if (uvarint(prefix, n, &pos, &u)) {
            return LC_ICS23_IAVL_VARINT;
        }
        v[i] = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
        if (i == 0 && (v[0] < 0 || v[0] < layer)) {
            return LC_ICS23_IAVL_HEIGHT;
        }
        if (i == 1 && v[1] < 0) {
            return LC_ICS23_IAVL_SIZE;
        }
        if (i == 2 && v[2] < 0) {
            return LC_ICS23_IAVL_VERSION;
        }
    }
    size_t rem = n - pos;
    if (layer == 0 ? rem != 0 : (rem != 1 && rem != 34)) {
        return LC_ICS23_IAVL_PREFIX_LENGTH;
    }
    return LC_ICS23_OK;
}

typedef struct {
    int64_t hash;
    const uint8_t *prefix, *suffix;
    size_t prefix_len, suffix_len;
} inner_t;

// ics23_types.decode_inner_op
static int inner_op(const uint8_t *p, size_t n, inner_t *op) {
    field_t f[3];
    int st = scan(p, n, 16, f, 3);
    if (!st) {
        st = get_enum(&f[0], &op->hash);
    }
    if (!st) {
        st = get_bytes(&f[1], &op->prefix, &op->prefix_len);
    }
    if (!st) {
        st = get_bytes(&f[2], &op->suffix, &op->suffix_len);
    }
    return st;
}

// ics23.check_inner_op for the two specs (child_order (0, 1), SHA-256, leaf prefix 0x00)
static int check_inner(const inner_t *op, int spec, int64_t layer) {
    size_t min_prefix = spec == LC_ICS23_IAVL ? 4 : 1;
    size_t max_prefix = spec == LC_ICS23_IAVL ? 12 : 1;
    size_t child = spec == LC_ICS23_IAVL ? 33 : 32;
    if (op->hash != 1) {
        return LC_ICS23_INNER_HASH;
    }
    if (spec == LC_ICS23_IAVL) {
        int st = iavl_op(op->prefix, op->prefix_len, layer);
        if (st) {
            return st;
        }
    }
    if (op->prefix_len >= 1 && op->prefix[0] == 0) {
        return LC_ICS23_INNER_LEAF_PREFIX;
    }
    if (op->prefix_len < min_prefix) {
        return LC_ICS23_INNER_PREFIX_TOO_SHORT;
    }
    if (op->prefix_len > max_prefix + child) {
        return LC_ICS23_INNER_PREFIX_TOO_LONG;
    }
    if (op->suffix_len % child != 0) {
        return LC_ICS23_INNER_SUFFIX;
    }
    return LC_ICS23_OK;
}

// The path's inner ops (the LEN fields 4 of the existence proof), in order, one at a time.
static int next_path_op(const uint8_t *p, size_t end, size_t *pos, const uint8_t **body,
                        size_t *n) {
    // the message was scanned whole already: every field here is well formed
    while (*pos < end) {
        uint64_t key, len;
        uvarint(p, end, pos, &key);
        unsigned wire = key & 7;
        if (wire == VARINT) {
            uvarint(p, end, pos, &len);
        } else if (wire == LEN) {
            uvarint(p, end, pos, &len);
            *pos += (size_t)len;
            if ((key >> 3) == 4) {
                *body = p + *pos - (size_t)len;
                *n = (size_t)len;
                return 1;
            }
        } else {
            *pos += wire == FIXED64 ? 8 : 4;
        }
    }
    return 0;
}

int lc_ics23_exist_root(lc_ics23_exist *out, const uint8_t *proof, size_t proof_len, int spec,
                        const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len) {
    if (proof_len > MAX_PROOF_BYTES) {
        return LC_ICS23_PROOF_TOO_LARGE;
    }
    // CommitmentProof: exactly one of exist (1), nonexist (2), batch (3), compressed (4)
    field_t cp[4];
    int st = scan(proof, proof_len, 16, cp, 4);
    if (st) {
        return st;
    }
    int kinds = 0, kind = 0;
    for (int i = 0; i < 4; i++) {
        if (cp[i].count) {
            kinds++;
            kind = kind ? kind : i + 1;
        }
    }
    if (kinds > 1) {
        return LC_ICS23_PROOF_ONEOF;
    }
    if (kinds == 0) {
        return LC_ICS23_PROOF_EMPTY;
    }
    const uint8_t *ep;
    size_t ep_len;
    st = get_bytes(&cp[kind - 1], &ep, &ep_len);
    if (st) {
        return st;
    }
    if (kind != 1) {
        return LC_ICS23_UNHANDLED;
    }
    // ExistenceProof: key 1, value 2, leaf 3, path 4 (repeated)
    field_t f[4];
    st = scan(ep, ep_len, MAX_PATH_DEPTH + 16, f, 4);
    if (st) {
        return st;
    }
    const uint8_t *pkey, *pvalue, *leaf;
    size_t pkey_len, pvalue_len, leaf_len;
    if ((st = get_bytes(&f[0], &pkey, &pkey_len))) {
        return st;
    }
    if (pkey_len > MAX_KEY_LEN) {
        return LC_ICS23_KEY_TOO_LONG;
    }
    if ((st = get_bytes(&f[1], &pvalue, &pvalue_len))) {
        return st;
    }
    if (pvalue_len > MAX_VALUE_LEN) {
        return LC_ICS23_VALUE_TOO_LONG;
    }
    if ((st = get_bytes(&f[2], &leaf, &leaf_len))) {
        return st;
    }
    if (!f[3].all_len) {
        return LC_ICS23_PROTO_WIRE_TYPE;
    }
    // a value read from the proof itself is its first value field (settings_proof's
    // _carried_value), compared with the last (the decoded one): a proof carrying more than one
    // is left to Python, which names the check
    if (value == NULL && (cp[0].count != 1 || f[1].count > 1)) {
        return LC_ICS23_UNHANDLED;
    }
    unsigned depth = f[3].count;
    if (depth > MAX_PATH_DEPTH) {
        return LC_ICS23_PATH_TOO_LONG;
    }
    // the leaf op: hash 1, prehash_key 2, prehash_value 3, length 4, prefix 5
    int has_leaf = f[2].count > 0;
    int64_t lop[4] = {0, 0, 0, 0};
    const uint8_t *lprefix = empty;
    size_t lprefix_len = 0;
    if (has_leaf) {
        field_t lf[5];
        if ((st = scan(leaf, leaf_len, 16, lf, 5))) {
            return st;
        }
        for (int i = 0; i < 4; i++) {
            if ((st = get_enum(&lf[i], &lop[i]))) {
                return st;
            }
        }
        if ((st = get_bytes(&lf[4], &lprefix, &lprefix_len))) {
            return st;
        }
    }
    // every inner op decoded before any check (decode_existence_proof, then the checks)
    size_t pos = 0;
    const uint8_t *body;
    size_t n;
    inner_t op;
    while (next_path_op(ep, ep_len, &pos, &body, &n)) {
        if ((st = inner_op(body, n, &op))) {
            return st;
        }
    }
    // check_existence_spec: the leaf op against the spec's (both specs' leaf specs are equal)
    if (!has_leaf) {
        return LC_ICS23_LEAF_MISSING;
    }
    if (spec == LC_ICS23_IAVL && (st = iavl_op(lprefix, lprefix_len, 0))) {
        return st;
    }
    if (lop[0] != 1) {
        return LC_ICS23_LEAF_HASH;
    }
    if (lop[1] != 0) {
        return LC_ICS23_LEAF_PREHASH_KEY;
    }
    if (lop[2] != 1) {
        return LC_ICS23_LEAF_PREHASH_VALUE;
    }
    if (lop[3] != 1) {
        return LC_ICS23_LEAF_LENGTH;
    }
    if (lprefix_len < 1 || lprefix[0] != 0) {
        return LC_ICS23_LEAF_PREFIX;
    }
    if (depth > MAX_DEPTH) {
        return LC_ICS23_DEPTH_TOO_LONG;
    }
    pos = 0;
    for (int64_t layer = 1; next_path_op(ep, ep_len, &pos, &body, &n); layer++) {
        inner_op(body, n, &op);
        if ((st = check_inner(&op, spec, layer))) {
            return st;
        }
    }
    if (pkey_len != key_len || (key_len && memcmp(pkey, key, key_len) != 0)) {
        return LC_ICS23_KEY_MISMATCH;
    }
    if (value != NULL
        && (pvalue_len != value_len || (value_len && memcmp(pvalue, value, value_len) != 0))) {
        return LC_ICS23_VALUE_MISMATCH;
    }
    if (pkey_len == 0) {
        return LC_ICS23_LEAF_KEY_EMPTY;
    }
    if (pvalue_len == 0) {
        return LC_ICS23_LEAF_VALUE_EMPTY;
    }
    // the root: the leaf, then each inner op from the leaf up
    uint8_t vhash[32], kl[2], vl = 32;
    size_t kl_len = 0;
    lc_sha256(vhash, pvalue, pvalue_len);
    kl[kl_len++] = (uint8_t)(pkey_len < 0x80 ? pkey_len : (pkey_len & 0x7F) | 0x80);
    if (pkey_len >= 0x80) {
        kl[kl_len++] = (uint8_t)(pkey_len >> 7);   // pkey_len <= 4096: two bytes at most
    }
    const uint8_t *lp[5] = {lprefix, kl, pkey, &vl, vhash};
    size_t ll[5] = {lprefix_len, kl_len, pkey_len, 1, 32};
    lc_sha256_parts(out->root, 5, lp, ll);
    pos = 0;
    while (next_path_op(ep, ep_len, &pos, &body, &n)) {
        inner_op(body, n, &op);
        const uint8_t *ip[3] = {op.prefix, out->root, op.suffix};
        size_t il[3] = {op.prefix_len, 32, op.suffix_len};
        uint8_t r[32];
        lc_sha256_parts(r, 3, ip, il);
        memcpy(out->root, r, 32);
    }
    out->key = pkey;
    out->key_len = pkey_len;
    out->value = pvalue;
    out->value_len = pvalue_len;
    return LC_ICS23_OK;
}
