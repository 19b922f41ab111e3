# ICS23 existence proofs in C (lccrypto.ics23_exist_root, firmware/cmodules/lccrypto/lc_ics23.c)
# where the image has it: ics23_types' decoding and ics23.existence_root's checks for the IAVL and
# simple specs, the root computed without a Python object per op and the value left in place.
# ics23.py stays the reference and the fallback (CPython, the WebAssembly build): a proof C
# refuses is handed to it, which raises the typed error with its details.
# Shared subset: CPython and MicroPython 1.27.

try:
    from lccrypto import ics23_exist_root
except (ImportError, AttributeError):  # no lccrypto, or one without it
    ics23_exist_root = None

SPECS = {"ics23:iavl": 0, "ics23:simple": 1}

# The C results' names (lc_ics23.h's order): the check of ics23.py / ics23_types / proto that
# refuses the same proof. "unhandled": a proof left to Python (non-existence, batch), no verdict.
CHECKS = ("ok", "unhandled", "ics23_proof_too_large", "proto_truncated", "proto_varint_overflow",
          "proto_field_number", "proto_wire_type", "proto_too_many_fields", "proto_int32_range",
          "ics23_proof_oneof", "ics23_proof_empty", "ics23_key_too_long", "ics23_value_too_long",
          "ics23_path_too_long", "ics23_leaf_missing", "ics23_iavl_varint", "ics23_iavl_height",
          "ics23_iavl_size", "ics23_iavl_version", "ics23_iavl_prefix_length", "ics23_leaf_hash",
          "ics23_leaf_prehash_key", "ics23_leaf_prehash_value", "ics23_leaf_length",
          "ics23_leaf_prefix", "ics23_depth_too_long", "ics23_inner_hash",
          "ics23_inner_leaf_prefix", "ics23_inner_prefix_too_short",
          "ics23_inner_prefix_too_long", "ics23_inner_suffix", "ics23_key_mismatch",
          "ics23_value_mismatch", "ics23_leaf_key_empty", "ics23_leaf_value_empty")


def exist_root(data, op_type, key, value=None):
    """(value as a view into data, root) of the existence proof `data` (CommitmentProof bytes)
    of key (and value, unless None: then the one it carries) under op_type's spec; or the name of
    the check C refused it with (a str). Needs ics23_exist_root (the chip's image)."""
    r = ics23_exist_root(data, SPECS[op_type], key, value)
    if isinstance(r, int):
        return CHECKS[r]
    return memoryview(data)[r[0]:r[0] + r[1]], r[2]
