# The trusted state at rest, in two forms:
# - version 1, deterministic CBOR (encode_trusted / decode_trusted): the checkpoint a tester
#   writes to the chip, untrusted, so every field is checked and every hash recomputed. Spec:
#   docs/compact-update.md, "Trusted state at rest".
# - version 2, packed (pack_trusted / unpack_trusted): what the chip keeps in its store under the
#   store's MAC, written by the chip itself after it verified the state: the validator sets in
#   the flat buffers the verifier uses, with the hashes it derived, so a boot only slices them
#   and derives the addresses (no CBOR per validator, no Merkle tree). Never accepted from
#   outside the store. Spec:
#   docs/store-format.md, "The trusted state record".
# Shared subset: CPython and MicroPython.

import hashlib
import struct

from lightclient.chip.core import cbor
from lightclient.chip.core import types as T
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.update import (DEFAULT_LIMITS, KEY_TYPE_CODES, UINT32_MAX, UINT64_MAX,
                                          _HASH_SIZES, _array, _bytes, _err, _int, _uint,
                                          _validators)
from lightclient.chip.core.valset import PackedValidatorSet, address_from_pubkey
from lightclient.chip.core.verifier import TrustedState

TRUSTED_VERSION = 1


def validators_cbor(vset):
    out = []
    for i in range(len(vset)):
        key_type, pub = vset.key_at(i)
        out.append([KEY_TYPE_CODES.index(key_type), pub, vset.power_at(i)])
    return out


def _header_cbor(h):
    return [h.version_block, h.version_app, h.chain_id, h.height, h.time_ns,
            [h.last_block_id.hash, h.last_block_id.part_set_total, h.last_block_id.part_set_hash],
            h.last_commit_hash, h.data_hash, h.validators_hash, h.next_validators_hash,
            h.consensus_hash, h.app_hash, h.last_results_hash, h.evidence_hash,
            h.proposer_address]


def encode_trusted(state):
    """TrustedState -> deterministic CBOR: [version, header fields, next validators or null,
    validators or null]. Spec: docs/compact-update.md, "Trusted state at rest"."""
    vals = validators_cbor(state.validators) if state.validators is not None else None
    nxt = validators_cbor(state.next_validators) if state.next_validators is not None else None
    return cbor.dumps([TRUSTED_VERSION, _header_cbor(state.header), nxt, vals], 4)


def _header(f, limits, p):
    """The 15 header fields (a decoded CBOR array) -> Header, every field checked."""
    f = _array(f, p[:-1], 15, 15)
    lb = _array(f[5], p + "last_block_id", 3, 3)
    chain_id = f[2]
    if not isinstance(chain_id, str) or not 0 < len(chain_id) <= T.MAX_CHAIN_ID_LEN:
        raise _err("update_field_type", "chain id must be a short text string", p + "chain_id")
    return T.Header(
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


def _check_sets(header, nxt, vals):
    if nxt is None and vals is None:
        raise _err("update_field_missing", "a trusted state needs a validator set",
                   "trusted.next_validators")
    if nxt is not None and nxt.hash() != header.next_validators_hash:
        raise _err("trusted_validators_hash", "next validators do not hash to the header's "
                   "next_validators_hash", "trusted.next_validators")
    if vals is not None and vals.hash() != header.validators_hash:
        raise _err("trusted_validators_hash", "validators do not hash to the header's "
                   "validators_hash", "trusted.validators")


def _check_size(data, limits):
    if not isinstance(data, (bytes, bytearray)):
        raise DecodeError("trusted_type", "trusted state must be bytes", field="trusted")
    if len(data) > limits.max_bytes:
        raise DecodeError("trusted_too_large", "trusted state longer than the limit",
                          field="trusted", length=len(data), max_bytes=limits.max_bytes)


def decode_trusted(data, expected_hash=None, limits=None):
    """Untrusted bytes -> TrustedState; every field checked, the validator sets must hash to
    the header's, and with expected_hash the header must hash to it (a checkpoint)."""
    if limits is None:
        limits = DEFAULT_LIMITS
    _check_size(data, limits)
    # lazy_depth 1: the header and the validator lists are checked but built one at a time.
    # Items: the array and version (2), the header (1 + 14 fields + last_block_id 1 + 3 = 19),
    # two sets of 1 + 4 per validator.
    a = _array(cbor.loads(data, 4, 23 + 8 * limits.max_validators, limits.max_bytes, 1),
               "trusted", 4, 4)
    if _uint(a[0], "trusted.version", UINT64_MAX) != TRUSTED_VERSION:
        raise _err("trusted_version", "unsupported trusted state version", "trusted.version")
    header = _header(a[1], limits, "trusted.header.")
    nxt = _validators(a[2], "trusted.next_validators", limits) if a[2] is not None else None
    vals = _validators(a[3], "trusted.validators", limits) if a[3] is not None else None
    _check_sets(header, nxt, vals)
    header_hash = None
    if expected_hash is not None:
        header_hash = header.hash()
        if header_hash != bytes(expected_hash):
            raise _err("trusted_header_hash", "header does not hash to the checkpoint hash",
                       "trusted.header")
    return TrustedState(header, nxt, vals, header_hash)


# --- version 2: packed, for the chip's store ----------------------------------------------------

PACKED_MAGIC = b"LCTS"
PACKED_VERSION = 2
PACKED_FIXED = 40        # magic 4, version 1, sets 1, header length 2, header hash 32
SET_FIXED = 44           # count 2, power width 1, reserved 1, total power 8, set hash 32
KEY_SLOT = 33            # one public key per slot, ed25519's 32 bytes padded with a zero
HAS_NEXT, HAS_VALS = 1, 2


def _packed_set(vset):
    """[fixed part, set hash, codes, keys, powers] of a validator set as the packed form stores
    it. A PackedValidatorSet (what the chip holds) gives its own buffers. Addresses are not
    stored: deriving them (one SHA-256 each) costs a boot less than decrypting them would."""
    n = len(vset)
    if isinstance(vset, PackedValidatorSet):
        codes, keys, powers = vset._codes, vset._keys, vset._powers
    else:
        codes, keys = bytearray(n), bytearray(KEY_SLOT * n)
        powers = []
        for i in range(n):
            key_type, pub = vset.key_at(i)
            codes[i] = KEY_TYPE_CODES.index(key_type)
            keys[KEY_SLOT * i:KEY_SLOT * i + len(pub)] = pub
            powers.append(vset.power_at(i))
    w = 4 if max(powers) <= UINT32_MAX else 8
    return [struct.pack("<HBBQ", n, w, 0, vset.total_power), vset.hash(), codes, keys,
            struct.pack("<%d%s" % (n, "I" if w == 4 else "Q"), *powers)]


def pack_trusted(state):
    """TrustedState -> the packed form (bytes). Only for a state this device verified: the
    hashes are stored, not recomputed by the reader. The header hash is the state's own
    (header_hash) or computed here."""
    return b"".join(pack_trusted_parts(state))


def pack_trusted_parts(state):
    """pack_trusted as a list of buffers, most of them the sets' own (the store writes them in
    order: the chip never holds a second, contiguous copy of its state)."""
    hh = state.header_hash
    if hh is None:
        hh = state.header.hash()
    header = cbor.dumps(_header_cbor(state.header), 2)
    sets = (HAS_NEXT if state.next_validators is not None else 0) | (
        HAS_VALS if state.validators is not None else 0)
    parts = [PACKED_MAGIC, struct.pack("<BBH", PACKED_VERSION, sets, len(header)), hh, header]
    if state.next_validators is not None:
        parts += _packed_set(state.next_validators)
    if state.validators is not None:
        parts += _packed_set(state.validators)
    return parts


def _perr(check, message, **details):
    details["field"] = "trusted"
    return DecodeError(check, message, **details)


def _unpack_set(data, pos, limits, path):
    """(PackedValidatorSet, end) of the set at data[pos:]. Bounds, key codes, padding and the
    powers are checked and the addresses derived; the duplicate check and the set's hash are
    the writer's (under the store's MAC)."""
    if pos + SET_FIXED > len(data):
        raise _perr("trusted_packed_length", "validator set past the end", set=path)
    n, w, reserved, total = struct.unpack_from("<HBBQ", data, pos)
    if not 1 <= n <= limits.max_validators or (w != 4 and w != 8) or reserved != 0:
        raise _perr("trusted_packed_set", "validator count or power width out of range",
                    set=path, count=n, max_validators=limits.max_validators)
    p = pos + SET_FIXED
    end = p + n * (1 + KEY_SLOT + w)
    if end > len(data):
        raise _perr("trusted_packed_length", "validator set past the end", set=path)
    mv = memoryview(data)  # one copy per buffer kept, none of the record
    h = bytes(mv[pos + 12:pos + SET_FIXED])
    codes = bytes(mv[p:p + n])
    p += n
    keys = bytes(mv[p:p + KEY_SLOT * n])
    p += KEY_SLOT * n
    powers = list(struct.unpack_from("<%d%s" % (n, "I" if w == 4 else "Q"), data, p))
    addrs = bytearray(T.ADDRESS_SIZE * n)
    kv = memoryview(keys)
    for i in range(n):
        c = codes[i]
        k = KEY_SLOT * i
        if c == 0 and keys[k + 32] == 0:
            a = hashlib.sha256(kv[k:k + 32]).digest()
        elif c == 1:
            a = address_from_pubkey(T.SECP256K1, keys[k:k + KEY_SLOT])
        else:
            raise _perr("trusted_packed_key", "bad key type code or key padding", set=path,
                        index=i)
        addrs[T.ADDRESS_SIZE * i:T.ADDRESS_SIZE * (i + 1)] = memoryview(a)[:T.ADDRESS_SIZE]
    if min(powers) < 1 or sum(powers) != total or total > T.MAX_TOTAL_VOTING_POWER:
        raise _perr("trusted_packed_power", "powers out of range or not the total", set=path)
    return PackedValidatorSet(codes, keys, bytes(addrs), powers, total, h), end


def unpack_trusted(data, limits=None):
    """The packed form (from this device's store) -> TrustedState, with its header_hash.
    Structure, bounds and the header's fields are checked (typed DecodeError), and each set's
    stored hash must be the header's; only the addresses are derived (one SHA-256 each)."""
    if limits is None:
        limits = DEFAULT_LIMITS
    _check_size(data, limits)
    if len(data) < PACKED_FIXED or bytes(data[:4]) != PACKED_MAGIC:
        raise _perr("trusted_packed_magic", "not a packed trusted state")
    version, sets, hlen = struct.unpack_from("<BBH", data, 4)
    if version != PACKED_VERSION:
        raise _perr("trusted_version", "unsupported packed trusted state version",
                    version=version)
    if sets == 0 or sets & ~(HAS_NEXT | HAS_VALS):
        raise _perr("trusted_packed_sets", "bad set flags", sets=sets)
    pos = PACKED_FIXED + hlen
    if pos > len(data):
        raise _perr("trusted_packed_length", "header past the end")
    header = _header(cbor.loads(memoryview(data)[PACKED_FIXED:pos], 2, 20, hlen), limits,
                     "trusted.header.")
    nxt = vals = None
    if sets & HAS_NEXT:
        nxt, pos = _unpack_set(data, pos, limits, "next_validators")
    if sets & HAS_VALS:
        vals, pos = _unpack_set(data, pos, limits, "validators")
    if pos != len(data):
        raise _perr("trusted_packed_length", "bytes after the last set", extra=len(data) - pos)
    _check_sets(header, nxt, vals)
    return TrustedState(header, nxt, vals, bytes(memoryview(data)[8:PACKED_FIXED]))


def load_trusted(data, limits=None):
    """What the store's "trusted" record holds -> (TrustedState, packed). packed False: a
    version-1 record (a store written before version 2), fully decoded and checked; the device
    writes it packed at its next commit."""
    if bytes(data[:4]) == PACKED_MAGIC:
        return unpack_trusted(data, limits), True
    return decode_trusted(data, None, limits), False


__all__ = ["encode_trusted", "decode_trusted", "validators_cbor", "pack_trusted",
           "pack_trusted_parts", "unpack_trusted", "load_trusted"]
