// An ICS23 existence proof checked and its root computed in C: the fast path of
// lightclient/chip/core/ics23.py's existence_root for the two specs of the SDK's proof chain
// (IAVL for a module store, the multistore's simple tree), the same checks in the same order
// (docs/state-proofs.md). No MicroPython here (the fuzz harness links it alone): views into the
// caller's bytes, no allocation.
#ifndef LC_ICS23_H
#define LC_ICS23_H

#include <stddef.h>
#include <stdint.h>

enum { LC_ICS23_IAVL = 0, LC_ICS23_SIMPLE = 1 };

// Results: 0, or the failed check, in the order of lightclient/chip/core/ics23_native.CHECKS
// (its names are the Python checks' own). LC_ICS23_UNHANDLED: a proof this code leaves to Python
// (a non-existence or batch proof): not a verdict.
enum {
    LC_ICS23_OK = 0,
    LC_ICS23_UNHANDLED,
    LC_ICS23_PROOF_TOO_LARGE,      // ics23_proof_too_large
    LC_ICS23_PROTO_TRUNCATED,      // proto_truncated
    LC_ICS23_PROTO_VARINT_OVERFLOW,
    LC_ICS23_PROTO_FIELD_NUMBER,
    LC_ICS23_PROTO_WIRE_TYPE,
    LC_ICS23_PROTO_TOO_MANY_FIELDS,
    LC_ICS23_PROTO_INT32_RANGE,
    LC_ICS23_PROOF_ONEOF,
    LC_ICS23_PROOF_EMPTY,
    LC_ICS23_KEY_TOO_LONG,
    LC_ICS23_VALUE_TOO_LONG,
    LC_ICS23_PATH_TOO_LONG,
    LC_ICS23_LEAF_MISSING,
    LC_ICS23_IAVL_VARINT,
    LC_ICS23_IAVL_HEIGHT,
    LC_ICS23_IAVL_SIZE,
    LC_ICS23_IAVL_VERSION,
    LC_ICS23_IAVL_PREFIX_LENGTH,
    LC_ICS23_LEAF_HASH,
    LC_ICS23_LEAF_PREHASH_KEY,
    LC_ICS23_LEAF_PREHASH_VALUE,
    LC_ICS23_LEAF_LENGTH,
    LC_ICS23_LEAF_PREFIX,
    LC_ICS23_DEPTH_TOO_LONG,
    LC_ICS23_INNER_HASH,
    LC_ICS23_INNER_LEAF_PREFIX,
    LC_ICS23_INNER_PREFIX_TOO_SHORT,
    LC_ICS23_INNER_PREFIX_TOO_LONG,
    LC_ICS23_INNER_SUFFIX,
    LC_ICS23_KEY_MISMATCH,
    LC_ICS23_VALUE_MISMATCH,
    LC_ICS23_LEAF_KEY_EMPTY,
    LC_ICS23_LEAF_VALUE_EMPTY,
};

typedef struct {
    const uint8_t *key, *value;   // views into the proof's bytes
    size_t key_len, value_len;
    uint8_t root[32];
} lc_ics23_exist;

// proof: a CommitmentProof's bytes; spec: LC_ICS23_IAVL or LC_ICS23_SIMPLE; key: the key it must
// prove; value: the value it must carry (NULL: whichever it carries, as when the value is read
// from the proof itself).
int lc_ics23_exist_root(lc_ics23_exist *out, const uint8_t *proof, size_t proof_len, int spec,
                        const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len);

#endif
