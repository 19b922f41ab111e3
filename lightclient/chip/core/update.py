# Compact light-block updates (Pi -> microcontroller): deterministic CBOR (RFC 8949 §4.2) that
# carries only what the receiver cannot derive from its trusted state. The receiver rebuilds every
# header, hash and sign bytes itself and runs the unchanged verifier on the result, so a derived
# value is never trusted: it is hashed into the header whose hash the validators signed.
# Format, limits and the safety argument: docs/compact-update.md.
# Shared subset: CPython and MicroPython.

from lightclient.chip.core import cbor, ics23_types, proof_chain
from lightclient.chip.core import types as T
from lightclient.chip.core import votes
from lightclient.chip.core import valset
from lightclient.chip.core.errors import DecodeError, LightClientError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import verify_step

VERSION = 1

# Top-level map keys.
K_VERSION = 0
K_STEPS = 1
K_PROOFS = 2  # state proofs (ICS23) against the last step's app hash; optional

# Step map keys (header fields first, in Header order, then the commit).
S_HEIGHT = 1
S_TIME = 2
S_VERSION = 3
S_LAST_BLOCK_HASH = 4
S_LAST_BLOCK_PARTS = 5
S_LAST_COMMIT_HASH = 6
S_DATA_HASH = 7
S_VALIDATORS = 8
S_NEXT_VALIDATORS = 9
S_CONSENSUS_HASH = 10
S_APP_HASH = 11
S_LAST_RESULTS_HASH = 12
S_EVIDENCE_HASH = 13
S_PROPOSER = 14
S_ROUND = 20
S_PARTS = 21
S_SIGNATURES = 22

STEP_KEYS = (S_HEIGHT, S_TIME, S_VERSION, S_LAST_BLOCK_HASH, S_LAST_BLOCK_PARTS,
             S_LAST_COMMIT_HASH, S_DATA_HASH, S_VALIDATORS, S_NEXT_VALIDATORS, S_CONSENSUS_HASH,
             S_APP_HASH, S_LAST_RESULTS_HASH, S_EVIDENCE_HASH, S_PROPOSER, S_ROUND, S_PARTS,
             S_SIGNATURES)
STEP_REQUIRED = (S_HEIGHT, S_TIME, S_LAST_BLOCK_PARTS, S_PROPOSER, S_PARTS, S_SIGNATURES)

# Header hash fields that, when absent, take the previous header's value (the trusted header for
# the first step). The header attribute each one fills:
STICKY_HASHES = ((S_LAST_COMMIT_HASH, "last_commit_hash"), (S_DATA_HASH, "data_hash"),
                 (S_CONSENSUS_HASH, "consensus_hash"),
                 (S_LAST_RESULTS_HASH, "last_results_hash"),
                 (S_EVIDENCE_HASH, "evidence_hash"))

FIELD_NAMES = {
    S_HEIGHT: "height", S_TIME: "time", S_VERSION: "version",
    S_LAST_BLOCK_HASH: "last_block_hash", S_LAST_BLOCK_PARTS: "last_block_parts",
    S_LAST_COMMIT_HASH: "last_commit_hash", S_DATA_HASH: "data_hash",
    S_VALIDATORS: "validators", S_NEXT_VALIDATORS: "next_validators",
    S_CONSENSUS_HASH: "consensus_hash", S_APP_HASH: "app_hash",
    S_LAST_RESULTS_HASH: "last_results_hash", S_EVIDENCE_HASH: "evidence_hash",
    S_PROPOSER: "proposer", S_ROUND: "round", S_PARTS: "parts", S_SIGNATURES: "signatures",
}

KEY_TYPE_CODES = valset.KEY_TYPE_CODES  # (ed25519, secp256k1): code = index
SIGNATURE_SIZE = 64
UINT32_MAX = 0xFFFFFFFF
UINT64_MAX = (1 << 64) - 1
CBOR_DEPTH = 5  # update map > steps > step map > validator list > validator
#                (update map > proofs > proof > ops > op for state proofs)
LAZY_DEPTH = 3  # the arrays in a step map (and a proof's ops): decoded when their step is
PROOF_OP_TYPES = ("ics23:iavl", "ics23:simple", "ics23:smt")
MAX_PROOF_OPS = 4
MAX_STORE_NAME = 64
MAX_KEY = 256


class Limits:
    """Bounds the receiver enforces before it allocates. Defaults fit an ESP32 with ~100 KB free:
    32 KiB of update, 4 steps, 150 validators per set, 64-byte app hashes."""

    def __init__(self, max_bytes=32768, max_steps=4, max_validators=150, max_app_hash=64,
                 max_proofs=4, max_proof_op=18432, max_value=16384):
        self.max_bytes = max_bytes
        self.max_steps = max_steps
        self.max_validators = max_validators
        self.max_app_hash = max_app_hash
        self.max_proofs = max_proofs
        self.max_proof_op = max_proof_op
        self.max_value = max_value

    def max_items(self):
        # Per step: the map (<= 17 keys, 2 items each, small arrays), two validator lists of
        # 4 items per validator, and signature entries of <= 5 items per validator. Per proof:
        # 4 fields and up to MAX_PROOF_OPS ops of 4 items.
        return (8 + self.max_steps * (64 + 13 * self.max_validators + 4)
                + self.max_proofs * (6 + 4 * MAX_PROOF_OPS))


DEFAULT_LIMITS = Limits()


# --- decoding: every field checked, every failure a DecodeError naming the field -------------

def _name(key):
    return FIELD_NAMES.get(key, str(key))


def _err(check, message, path, **details):
    return DecodeError(check, message, field=path, **details)


def _uint(v, path, hi):
    if isinstance(v, bool) or not isinstance(v, int):
        raise _err("update_field_type", "expected an unsigned integer", path)
    if v < 0 or v > hi:
        raise _err("update_field_range", "integer out of range", path, value=v, max=hi)
    return v


def _int(v, path, lo, hi):
    if isinstance(v, bool) or not isinstance(v, int):
        raise _err("update_field_type", "expected an integer", path)
    if v < lo or v > hi:
        raise _err("update_field_range", "integer out of range", path, value=v, min=lo, max=hi)
    return v


def _bytes(v, path, sizes=None, max_len=None):
    if not isinstance(v, bytes):
        raise _err("update_field_type", "expected a byte string", path)
    if sizes is not None and len(v) not in sizes:
        raise _err("update_field_length", "byte string has the wrong length", path,
                   length=len(v), expected=sizes)
    if max_len is not None and len(v) > max_len:
        raise _err("update_field_length", "byte string is too long", path, length=len(v),
                   max_len=max_len)
    return v


def _array(v, path, min_len, max_len, lazy=False):
    """v as a list, its length checked. A cbor.LazyArray (the validator and signature lists,
    see decode_update_full) is built here, or with lazy=True returned as it is, for the caller
    to walk with items() one element at a time."""
    is_lazy = isinstance(v, cbor.LazyArray)
    if not is_lazy and not isinstance(v, list):
        raise _err("update_field_type", "expected an array", path)
    if len(v) < min_len or len(v) > max_len:
        raise _err("update_field_length", "array length out of range", path, length=len(v),
                   min_len=min_len, max_len=max_len)
    if is_lazy and not lazy:
        return v.load()
    return v


def _elements(a):
    """The elements of a list or a cbor.LazyArray, one at a time."""
    if isinstance(a, cbor.LazyArray):
        return a.items()
    return iter(a)


_HASH_SIZES = (0, T.HASH_SIZE)


def _part_set(v, path):
    a = _array(v, path, 2, 2)
    return _uint(a[0], path + ".total", UINT32_MAX), _bytes(a[1], path + ".hash", _HASH_SIZES)


def _validators(v, path, limits):
    """A validator list -> valset.PackedValidatorSet (flat buffers, not one object per
    validator: this is most of the receiver's heap). Every entry's fields are checked first, then
    the set-wide rules (duplicates, total power), as ValidatorSet does."""
    items = _array(v, path, 1, limits.max_validators, lazy=True)
    packer = valset.ValidatorPacker(len(items))
    i = 0
    for item in _elements(items):
        key_type, pub, power = _validator_entry(item, path, i)
        i += 1
        packer.add(key_type, pub, power)
        item = pub = None
    try:
        return packer.finish()
    except DecodeError as e:  # duplicate address, total power overflow: name the field
        e.details["field"] = path
        raise


# The entries of a validator or signature list are checked twice over when one is wrong: a
# fast pass that builds nothing, then, only for an entry it rejects, the named checks, whose
# field paths ("update.steps[0].validators[7].power") would otherwise be built for every entry.
# type(x) is int is False for a bool on both runtimes.

def _validator_entry(item, path, i):
    """(key_type, pub_key, power) of one [code, pub_key, power] entry; DecodeError naming it."""
    if type(item) is list and len(item) == 3:
        code, pub, power = item
        if (type(code) is int and 0 <= code < len(KEY_TYPE_CODES) and type(pub) is bytes
                and len(pub) == T.PUB_KEY_SIZES[KEY_TYPE_CODES[code]] and type(power) is int
                and 1 <= power <= T.MAX_TOTAL_VOTING_POWER):
            return KEY_TYPE_CODES[code], pub, power
    p = path + "[" + str(i) + "]"
    a = _array(item, p, 3, 3)
    key_type = KEY_TYPE_CODES[_uint(a[0], p + ".key_type", len(KEY_TYPE_CODES) - 1)]
    pub = _bytes(a[1], p + ".pub_key", (T.PUB_KEY_SIZES[key_type],))
    return key_type, pub, _int(a[2], p + ".power", 1, T.MAX_TOTAL_VOTING_POWER)


def _signature_entry(e, path, j, n, prev, header_time):
    """(index, flag, timestamp ns, signature) of one [index, time_delta, sig(, 3)] entry."""
    if type(e) is list and (len(e) == 3 or (len(e) == 4 and type(e[3]) is int
                                            and e[3] == T.BLOCK_ID_FLAG_NIL)):
        i, dt, sig = e[0], e[1], e[2]
        if (type(i) is int and prev < i < n and type(dt) is int and type(sig) is bytes
                and len(sig) == SIGNATURE_SIZE
                and T.MIN_TIME_NS <= header_time + dt <= T.MAX_TIME_NS):
            return (i, T.BLOCK_ID_FLAG_COMMIT if len(e) == 3 else T.BLOCK_ID_FLAG_NIL,
                    header_time + dt, sig)
    p = path + "[" + str(j) + "]"
    a = _array(e, p, 3, 4)
    i = _uint(a[0], p + ".index", n - 1)
    if i <= prev:
        raise _err("update_signature_order", "signature indices must strictly increase", p,
                   index=i, previous=prev)
    ts = header_time + _int(a[1], p + ".time_delta", T.MIN_TIME_NS - header_time,
                            T.MAX_TIME_NS - header_time)
    sig = _bytes(a[2], p + ".signature", (SIGNATURE_SIZE,))
    if len(a) == 4:
        # Only the nil flag is ever written; a commit vote has 3 elements (one encoding per
        # value, so the update stays deterministic).
        if a[3] != T.BLOCK_ID_FLAG_NIL or isinstance(a[3], bool):
            raise _err("update_field_range", "the 4th element must be the nil flag (3)",
                       p + ".flag", value=a[3])
        return i, T.BLOCK_ID_FLAG_NIL, ts, sig
    return i, T.BLOCK_ID_FLAG_COMMIT, ts, sig


def _signatures(v, path, header_time, vals, commit):
    """Signature entries -> votes added to `commit` (a votes.PackedCommit over `vals`); every
    index without an entry stays absent."""
    n = len(vals)
    entries = _array(v, path, 0, n, lazy=True)
    # Signatures of an immutable update are referred to, not copied: a 3-element entry ends
    # with the 64-byte signature, a 4-element one with it and the 1-byte nil flag (3).
    ref = isinstance(entries, cbor.LazyArray) and isinstance(entries.data, (bytes, memoryview))
    if ref:
        walk = entries.items_with_end()
    else:
        walk = _elements(entries)
    prev = -1
    j = 0
    for e in walk:
        if ref:
            e, end = e
        i, flag, ts, sig = _signature_entry(e, path, j, n, prev, header_time)
        j += 1
        prev = i
        if ref:
            commit.add_ref(i, flag, ts, entries.data,
                           end - SIGNATURE_SIZE - (1 if flag == T.BLOCK_ID_FLAG_NIL else 0))
        else:
            commit.add(i, flag, ts, sig)
        e = sig = None  # the decoded entry's garbage, not kept


def _decode_step(m, path, prev, prev_hash_fn, vouching, limits):
    if not isinstance(m, dict):
        raise _err("update_field_type", "expected a map", path)
    for k in m:
        if k not in STEP_KEYS:
            raise _err("update_field_unknown", "key not allowed in a step", path, key=k)
    for k in STEP_REQUIRED:
        if k not in m:
            raise _err("update_field_missing", "required key missing", path + "." + _name(k))

    def fp(k):
        return path + "." + _name(k)

    height = _uint(m[S_HEIGHT], fp(S_HEIGHT), T.INT64_MAX)
    if height <= prev.height:
        raise _err("update_height_order", "step height is not above the previous header",
                   fp(S_HEIGHT), height=height, previous=prev.height)
    adjacent = height == prev.height + 1
    time_ns = _int(m[S_TIME], fp(S_TIME), T.MIN_TIME_NS, T.MAX_TIME_NS)

    if S_VERSION in m:
        va = _array(m[S_VERSION], fp(S_VERSION), 2, 2)
        version_block = _uint(va[0], fp(S_VERSION) + ".block", UINT64_MAX)
        version_app = _uint(va[1], fp(S_VERSION) + ".app", UINT64_MAX)
    else:
        version_block, version_app = prev.version_block, prev.version_app

    if S_LAST_BLOCK_HASH in m:
        last_hash = _bytes(m[S_LAST_BLOCK_HASH], fp(S_LAST_BLOCK_HASH), _HASH_SIZES)
    elif adjacent:
        last_hash = prev_hash_fn()  # derived: the hash of the header this one follows
    else:
        raise _err("update_field_missing", "last block hash is required when skipping",
                   fp(S_LAST_BLOCK_HASH))
    lp_total, lp_hash = _part_set(m[S_LAST_BLOCK_PARTS], fp(S_LAST_BLOCK_PARTS))

    hashes = {}
    for key, attr in STICKY_HASHES:
        if key in m:
            hashes[attr] = _bytes(m[key], fp(key), _HASH_SIZES)
        else:
            hashes[attr] = getattr(prev, attr)
    if S_APP_HASH in m:
        app_hash = _bytes(m[S_APP_HASH], fp(S_APP_HASH), max_len=limits.max_app_hash)
    else:
        app_hash = prev.app_hash

    if S_VALIDATORS in m:
        vals = _validators(m[S_VALIDATORS], fp(S_VALIDATORS), limits)
    else:
        vals = vouching  # unchanged: the set the receiver trusts to vouch for this step
    if S_NEXT_VALIDATORS in m:
        next_vals = _validators(m[S_NEXT_VALIDATORS], fp(S_NEXT_VALIDATORS), limits)
    else:
        next_vals = vals

    pr = m[S_PROPOSER]
    if isinstance(pr, bytes):
        proposer = _bytes(pr, fp(S_PROPOSER), (T.ADDRESS_SIZE,))
    else:
        proposer = vals.address_at(_uint(pr, fp(S_PROPOSER), len(vals) - 1))

    rnd = _uint(m[S_ROUND], fp(S_ROUND), T.INT32_MAX) if S_ROUND in m else 0
    p_total, p_hash = _part_set(m[S_PARTS], fp(S_PARTS))

    header = T.Header(version_block, version_app, prev.chain_id, height, time_ns,
                      T.BlockID(last_hash, lp_total, lp_hash), hashes["last_commit_hash"],
                      hashes["data_hash"], vals.hash(), next_vals.hash(),
                      hashes["consensus_hash"], app_hash, hashes["last_results_hash"],
                      hashes["evidence_hash"], proposer)
    # The block id's hash is the recomputed header hash: what the signatures must cover.
    header_hash = header.hash()
    sv = m[S_SIGNATURES]
    commit = votes.PackedCommit(height, rnd, T.BlockID(header_hash, p_total, p_hash), vals,
                            len(vals), min(len(sv), len(vals))
                            if isinstance(sv, (list, cbor.LazyArray)) else 0)
    _signatures(sv, fp(S_SIGNATURES), time_ns, vals, commit)
    return T.LightBlock(T.SignedHeader(header, commit), vals, next_vals), header_hash


def _text(v, path, max_len):
    if not isinstance(v, str):
        raise _err("update_field_type", "expected a text string", path)
    if not 0 < len(v) <= max_len:
        raise _err("update_field_length", "text string length out of range", path,
                   length=len(v), max_len=max_len)
    return v


def _proof_value(ops, path):
    # `true`: the value is the one the first op's ICS23 existence proof carries (it is inside
    # that proof anyway, so sending it twice would only cost bytes); the proof chain below then
    # checks it like any other value.
    try:
        proof = ics23_types.decode_commitment_proof(ops[0][2])
    except LightClientError as e:  # name the field, as every other decode failure does
        e.details["field"] = path + ".ops[0].data"
        raise
    if not isinstance(proof, ics23_types.ExistenceProof):
        raise _err("update_proof_value", "value `true` needs an existence proof in the first op",
                   path + ".value")
    return proof.value


def _proofs(v, limits):
    """Key 2: [[store name, key, true (present) or null (absent), [[op type, op key, op data],
    ...]], ...]."""
    items = _array(v, "update.proofs", 1, limits.max_proofs)
    out = []
    for i in range(len(items)):
        p = "update.proofs[" + str(i) + "]"
        a = _array(items[i], p, 4, 4)
        store = _text(a[0], p + ".store", MAX_STORE_NAME)
        key = _bytes(a[1], p + ".key", max_len=MAX_KEY)
        if len(key) == 0:
            raise _err("update_field_length", "empty key", p + ".key")
        if a[2] is not None and a[2] is not True:
            raise _err("update_field_type", "expected true (present) or null (absent)",
                       p + ".value")
        ops_in = _array(a[3], p + ".ops", 1, MAX_PROOF_OPS)
        ops = []
        for j in range(len(ops_in)):
            q = p + ".ops[" + str(j) + "]"
            op = _array(ops_in[j], q, 3, 3)
            typ = _text(op[0], q + ".type", 32)
            if typ not in PROOF_OP_TYPES:
                raise _err("update_proof_op_type", "unsupported proof op type", q + ".type",
                           type=typ)
            ops.append((typ, _bytes(op[1], q + ".key", max_len=MAX_KEY),
                        _bytes(op[2], q + ".data", max_len=limits.max_proof_op)))
        value = None
        if a[2] is True:
            value = _proof_value(ops, p)
            if len(value) > limits.max_value:
                raise _err("update_field_length", "value longer than the limit", p + ".value",
                           length=len(value), max_len=limits.max_value)
        items[i] = None
        out.append((store, key, value, ops))
    return out


def decode_update(data, trusted_state, limits=None):
    """Untrusted update bytes -> list of LightBlock, every derived value filled in from
    `trusted_state` (a verifier.TrustedState) and the preceding steps. Checks shape and bounds
    only; verification is apply_update's. Raises DecodeError naming the field."""
    return decode_update_full(data, trusted_state, limits)[0]


def decode_update_full(data, trusted_state, limits=None):
    """As decode_update, plus the state proofs: (blocks, [(store, key, value or None, ops)])."""
    if limits is None:
        limits = DEFAULT_LIMITS
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("update_type", "update must be bytes", field="update")
    if len(data) > limits.max_bytes:
        raise DecodeError("update_too_large", "update longer than the limit", field="update",
                          length=len(data), max_bytes=limits.max_bytes)
    # The arrays inside a step (validator lists, signatures, small pairs) and a proof's ops
    # stay undecoded (cbor.LazyArray) until their step is decoded: the whole input is checked
    # first, but no tree of the update's lists is ever built at once.
    top = cbor.loads(data, CBOR_DEPTH, limits.max_items(), limits.max_bytes, LAZY_DEPTH)
    if not isinstance(top, dict):
        raise _err("update_field_type", "expected a map", "update")
    for k in top:
        if k != K_VERSION and k != K_STEPS and k != K_PROOFS:
            raise _err("update_field_unknown", "key not allowed in an update", "update", key=k)
    if K_VERSION not in top:
        raise _err("update_field_missing", "required key missing", "update.version")
    if K_STEPS not in top:
        raise _err("update_field_missing", "required key missing", "update.steps")
    version = _uint(top[K_VERSION], "update.version", UINT64_MAX)
    if version != VERSION:
        raise _err("update_version", "unsupported update version", "update.version",
                   version=version, supported=VERSION)
    steps = _array(top[K_STEPS], "update.steps", 1, limits.max_steps)
    proofs = _proofs(top[K_PROOFS], limits) if K_PROOFS in top else []
    del top

    prev = trusted_state.header
    vouching = trusted_state.vouching_set()
    cache = [trusted_state.header_hash]  # known when the state came from the store

    def prev_hash():
        if cache[0] is None:
            cache[0] = prev.hash()
        return cache[0]

    blocks = []
    for i in range(len(steps)):
        block, header_hash = _decode_step(steps[i], "update.steps[" + str(i) + "]", prev,
                                          prev_hash, vouching, limits)
        steps[i] = None  # let the decoded CBOR of this step go
        blocks.append(block)
        prev = block.signed_header.header
        vouching = block.next_validators
        cache[0] = header_hash
    return blocks, proofs


def apply_update(trusted_state, data, options, now_ns, verify_fn=None, limits=None):
    """Decode `data` and verify each step with verifier.verify_step (adjacent or skipping, from
    the previous step's state). Returns the new TrustedState; all or nothing: any failure raises
    (DecodeError, VerificationError, NotEnoughTrust, ...) and the caller keeps its state."""
    return apply_update_full(trusted_state, data, options, now_ns, verify_fn, limits)[0]


def apply_update_full(trusted_state, data, options, now_ns, verify_fn=None, limits=None):
    """As apply_update, and verify the state proofs against the app hash of the last step's
    header, which commits to the state after the block before it (height - 1, the Cosmos SDK
    rule). Returns (TrustedState, [(store, key, value or None)]): value None is a verified
    absence. All or nothing, like apply_update."""
    blocks, proofs = decode_update_full(data, trusted_state, limits)
    checker = CachingChecker(verify_fn)
    state = trusted_state
    for block in blocks:
        state = verify_step(state, block, options, now_ns, checker)
    app_hash = state.header.app_hash
    proven = []
    for i in range(len(proofs)):
        store, key, value, ops = proofs[i]
        try:
            proof_chain.verify_abci_proof_ops(ops, app_hash, [store, key], value)
        except LightClientError as e:
            e.details["field"] = "update.proofs[" + str(i) + "]"
            raise
        proven.append((store, key, value))
    return state, proven


__all__ = ["VERSION", "Limits", "DEFAULT_LIMITS", "decode_update", "decode_update_full",
           "apply_update", "apply_update_full"]
