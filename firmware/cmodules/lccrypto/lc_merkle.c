// SHA-256 and RFC 6962 Merkle hashing in C, as hashlib is: sha256(data), merkle_leaf(item) =
// SHA-256(0x00 || item), merkle_inner(left, right) = SHA-256(0x01 || left || right), and
// merkle_root(items), the root of a list of byte strings in one call (CometBFT's
// HashFromByteSlices: split at the largest power of two below n, SHA-256("") when empty).
// lightclient/chip/core/merkle.py uses them when the image has them and keeps its Python tree.
#include <string.h>
#include "lccrypto.h"
#include "lc_ics23.h"

static mp_obj_t tagged(int tag, mp_obj_t a_in, mp_obj_t b_in) {
    mp_buffer_info_t a = lc_buf(a_in);
    mp_buffer_info_t b = {.buf = NULL, .len = 0};
    if (b_in != MP_OBJ_NULL) {
        b = lc_buf(b_in);
    }
    vstr_t out;
    lc_sha256_tagged(lc_result(&out, 32), tag, a.buf, a.len, b.buf, b.len);
    return lc_bytes(&out);
}

static mp_obj_t lc_sha256_fn(mp_obj_t data) {
    return tagged(-1, data, MP_OBJ_NULL);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_sha256_obj, lc_sha256_fn);

static mp_obj_t lc_merkle_leaf_fn(mp_obj_t item) {
    return tagged(0, item, MP_OBJ_NULL);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_merkle_leaf_obj, lc_merkle_leaf_fn);

static mp_obj_t lc_merkle_inner_fn(mp_obj_t left, mp_obj_t right) {
    return tagged(1, left, right);
}
MP_DEFINE_CONST_FUN_OBJ_2(lc_merkle_inner_obj, lc_merkle_inner_fn);

// Recursion depth is log2(n) + 1 (at most 32 frames of ~100 bytes); every item is checked to be
// bytes-like (TypeError) as it is reached.
static void root(uint8_t out[32], const mp_obj_t *items, size_t n) {
    if (n == 1) {
        mp_buffer_info_t b = lc_buf(items[0]);
        lc_sha256_tagged(out, 0, b.buf, b.len, NULL, 0);
        return;
    }
    size_t k = 1;
    while (k * 2 < n) {
        k *= 2;
    }
    uint8_t lr[64];
    root(lr, items, k);
    root(lr + 32, items + k, n - k);
    lc_sha256_tagged(out, 1, lr, 64, NULL, 0);
}

static mp_obj_t lc_merkle_root_fn(mp_obj_t items_in) {
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(items_in, &n, &items);  // a list or a tuple
    uint8_t r[32];
    if (n == 0) {
        lc_sha256_tagged(r, -1, NULL, 0, NULL, 0);
    } else {
        root(r, items, n);
    }
    vstr_t out;
    memcpy(lc_result(&out, 32), r, 32);
    return lc_bytes(&out);
}
MP_DEFINE_CONST_FUN_OBJ_1(lc_merkle_root_obj, lc_merkle_root_fn);

// ics23_exist_root(proof, spec, key, value or None) -> (value_offset, value_len, root), or the
// failed check's number (lc_ics23.h; lightclient/chip/core/ics23_native.py names it): an ICS23
// existence proof's checks and root (lc_ics23.c), the value a view the caller slices.
static mp_obj_t lc_ics23_exist_root_fn(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t proof = lc_buf(args[0]);
    mp_int_t spec = mp_obj_get_int(args[1]);
    if (spec != LC_ICS23_IAVL && spec != LC_ICS23_SIMPLE) {
        mp_raise_ValueError(MP_ERROR_TEXT("ics23_exist_root: unknown spec"));
    }
    mp_buffer_info_t key = lc_buf(args[2]);
    mp_buffer_info_t value = {.buf = NULL, .len = 0};
    if (args[3] != mp_const_none) {
        value = lc_buf(args[3]);
    }
    static const uint8_t no_bytes[1];   // a value given, even empty, is never NULL (= None)
    lc_ics23_exist r;
    int st = lc_ics23_exist_root(&r, proof.buf, proof.len, (int)spec, key.buf, key.len,
        args[3] == mp_const_none ? NULL : value.buf ? value.buf : no_bytes, value.len);
    if (st != LC_ICS23_OK) {
        return MP_OBJ_NEW_SMALL_INT(st);
    }
    vstr_t out;
    memcpy(lc_result(&out, 32), r.root, 32);
    mp_obj_t t[3] = {
        MP_OBJ_NEW_SMALL_INT(r.value - (const uint8_t *)proof.buf),
        MP_OBJ_NEW_SMALL_INT(r.value_len),
        lc_bytes(&out),
    };
    return mp_obj_new_tuple(3, t);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(lc_ics23_exist_root_obj, 4, 4, lc_ics23_exist_root_fn);
