# The trusted state at rest: a TrustedState as deterministic CBOR, for checkpoints and the chip's
# store, read back with every field checked by the update format's field readers (update.py).
# Spec: docs/compact-update.md, "Trusted state at rest". Shared subset: CPython and MicroPython.

from lightclient.chip.core import cbor
from lightclient.chip.core import types as T
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.update import (DEFAULT_LIMITS, KEY_TYPE_CODES, UINT32_MAX, UINT64_MAX,
                                          _HASH_SIZES, _array, _bytes, _err, _int, _uint,
                                          _validators)
from lightclient.chip.core.verifier import TrustedState

TRUSTED_VERSION = 1


def validators_cbor(vset):
    out = []
    for i in range(len(vset)):
        key_type, pub = vset.key_at(i)
        out.append([KEY_TYPE_CODES.index(key_type), pub, vset.power_at(i)])
    return out


def encode_trusted(state):
    """TrustedState -> deterministic CBOR: [version, header fields, next validators or null,
    validators or null]. Spec: docs/compact-update.md, "Trusted state at rest"."""
    h = state.header
    header = [h.version_block, h.version_app, h.chain_id, h.height, h.time_ns,
              [h.last_block_id.hash, h.last_block_id.part_set_total, h.last_block_id.part_set_hash],
              h.last_commit_hash, h.data_hash, h.validators_hash, h.next_validators_hash,
              h.consensus_hash, h.app_hash, h.last_results_hash, h.evidence_hash,
              h.proposer_address]
    vals = validators_cbor(state.validators) if state.validators is not None else None
    nxt = validators_cbor(state.next_validators) if state.next_validators is not None else None
    return cbor.dumps([TRUSTED_VERSION, header, nxt, vals], 4)


def decode_trusted(data, expected_hash=None, limits=None):
    """Untrusted bytes -> TrustedState; every field checked, the validator sets must hash to
    the header's, and with expected_hash the header must hash to it (a checkpoint)."""
    if limits is None:
        limits = DEFAULT_LIMITS
    if not isinstance(data, (bytes, bytearray)):
        raise DecodeError("trusted_type", "trusted state must be bytes", field="trusted")
    if len(data) > limits.max_bytes:
        raise DecodeError("trusted_too_large", "trusted state longer than the limit",
                          field="trusted", length=len(data), max_bytes=limits.max_bytes)
    # lazy_depth 1: the header and the validator lists are checked but built one at a time.
    # Items: the array and version (2), the header (1 + 14 fields + last_block_id 1 + 3 = 19),
    # two sets of 1 + 4 per validator.
    a = _array(cbor.loads(data, 4, 23 + 8 * limits.max_validators, limits.max_bytes, 1),
               "trusted", 4, 4)
    if _uint(a[0], "trusted.version", UINT64_MAX) != TRUSTED_VERSION:
        raise _err("trusted_version", "unsupported trusted state version", "trusted.version")
    f = _array(a[1], "trusted.header", 15, 15)
    p = "trusted.header."
    lb = _array(f[5], p + "last_block_id", 3, 3)
    chain_id = f[2]
    if not isinstance(chain_id, str) or not 0 < len(chain_id) <= T.MAX_CHAIN_ID_LEN:
        raise _err("update_field_type", "chain id must be a short text string", p + "chain_id")
    header = T.Header(
        _uint(f[0], p + "version_block", UINT64_MAX), _uint(f[1], p + "version_app", UINT64_MAX),
        chain_id, _uint(f[3], p + "height", T.INT64_MAX),
        _int(f[4], p + "time", T.MIN_TIME_NS, T.MAX_TIME_NS),
        T.BlockID(_bytes(lb[0], p + "last_block_id.hash", _HASH_SIZES),
                  _uint(lb[1], p + "last_block_id.total", UINT32_MAX),
                  _bytes(lb[2], p + "last_block_id.parts_hash", _HASH_SIZES)),
        _bytes(f[6], p + "last_commit_hash", _HASH_SIZES),
        _bytes(f[7], p + "data_hash", _HASH_SIZES),
        _bytes(f[8], p + "validators_hash", (T.HASH_SIZE,)),
        _bytes(f[9], p + "next_validators_hash", (T.HASH_SIZE,)),
        _bytes(f[10], p + "consensus_hash", _HASH_SIZES),
        _bytes(f[11], p + "app_hash", max_len=limits.max_app_hash),
        _bytes(f[12], p + "last_results_hash", _HASH_SIZES),
        _bytes(f[13], p + "evidence_hash", _HASH_SIZES),
        _bytes(f[14], p + "proposer_address", (T.ADDRESS_SIZE,)))
    nxt = _validators(a[2], "trusted.next_validators", limits) if a[2] is not None else None
    vals = _validators(a[3], "trusted.validators", limits) if a[3] is not None else None
    if nxt is None and vals is None:
        raise _err("update_field_missing", "a trusted state needs a validator set",
                   "trusted.next_validators")
    if nxt is not None and nxt.hash() != header.next_validators_hash:
        raise _err("trusted_validators_hash", "next validators do not hash to the header's "
                   "next_validators_hash", "trusted.next_validators")
    if vals is not None and vals.hash() != header.validators_hash:
        raise _err("trusted_validators_hash", "validators do not hash to the header's "
                   "validators_hash", "trusted.validators")
    if expected_hash is not None and header.hash() != bytes(expected_hash):
        raise _err("trusted_header_hash", "header does not hash to the checkpoint hash",
                   "trusted.header")
    return TrustedState(header, nxt, vals)


__all__ = ["encode_trusted", "decode_trusted", "validators_cbor"]
