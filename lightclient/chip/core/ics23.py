# ICS23 commitment proofs (github.com/cosmos/ics23), as Cosmos SDK `abci_query` with prove=true
# returns them, and the SDK's two-op proof chain (store proof, then multistore proof) up to the
# block's app_hash. Checks and their order follow the Go reference (go/proof.go, go/ops.go,
# go/ics23.go); docs/state-proofs.md lists them. Every failure is a ProofError (or DecodeError
# for malformed bytes) naming the rule that failed; success returns True.
#
# Hash ops: SHA256, and NO_HASH where the reference allows it (prehash of key / value).
# SHA512, KECCAK256, RIPEMD160, BITCOIN, SHA512_256, BLAKE2B/2S, BLAKE3 raise
# ProofError("ics23_unsupported_hash"): MicroPython's hashlib has only SHA-256, and none of the
# three specs the SDK uses needs another.
# Proof kinds: exist and nonexist; a batch of exactly one entry is that entry; bigger batches and
# compressed batches raise ProofError("ics23_unsupported_proof") (the SDK never returns them).
# Shared subset: runs unchanged on CPython and MicroPython.

import hashlib

from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError, ProofError

# --- enums (cosmos.ics23.v1) ---------------------------------------------------------------

NO_HASH = 0
SHA256 = 1
SHA512 = 2
KECCAK256 = 3
RIPEMD160 = 4
BITCOIN = 5
SHA512_256 = 6
BLAKE2B_512 = 7
BLAKE2S_256 = 8
BLAKE3 = 9

NO_PREFIX = 0
VAR_PROTO = 1
VAR_RLP = 2
FIXED32_BIG = 3
FIXED32_LITTLE = 4
FIXED64_BIG = 5
FIXED64_LITTLE = 6
REQUIRE_32_BYTES = 7
REQUIRE_64_BYTES = 8

# --- bounds on untrusted input --------------------------------------------------------------

MAX_PROOF_BYTES = 128 * 1024  # one encoded CommitmentProof
MAX_KEY_LEN = 4096
MAX_VALUE_LEN = 64 * 1024
MAX_PATH_DEPTH = 256  # inner ops of one existence proof (SmtSpec allows 256)
DEFAULT_MAX_DEPTH = 128  # the reference's limit when a spec's max_depth is 0
MAX_PROOF_OPS = 4  # proofOps.ops of one abci_query answer (the SDK returns 2)


# --- messages -------------------------------------------------------------------------------

class LeafOp:
    def __init__(self, hash=NO_HASH, prehash_key=NO_HASH, prehash_value=NO_HASH,
                 length=NO_PREFIX, prefix=b""):
        self.hash = hash
        self.prehash_key = prehash_key
        self.prehash_value = prehash_value
        self.length = length
        self.prefix = prefix


class InnerOp:
    def __init__(self, hash=NO_HASH, prefix=b"", suffix=b""):
        self.hash = hash
        self.prefix = prefix
        self.suffix = suffix


class ExistenceProof:
    def __init__(self, key=b"", value=b"", leaf=None, path=None):
        self.key = key
        self.value = value
        self.leaf = leaf
        self.path = path if path is not None else []


class NonExistenceProof:
    def __init__(self, key=b"", left=None, right=None):
        self.key = key
        self.left = left
        self.right = right


class InnerSpec:
    def __init__(self, child_order=(0, 1), child_size=0, min_prefix_length=0,
                 max_prefix_length=0, empty_child=b"", hash=NO_HASH):
        self.child_order = list(child_order)
        self.child_size = child_size
        self.min_prefix_length = min_prefix_length
        self.max_prefix_length = max_prefix_length
        self.empty_child = empty_child
        self.hash = hash


class ProofSpec:
    def __init__(self, leaf_spec=None, inner_spec=None, max_depth=0, min_depth=0,
                 prehash_key_before_comparison=False):
        self.leaf_spec = leaf_spec
        self.inner_spec = inner_spec
        self.max_depth = max_depth
        self.min_depth = min_depth
        self.prehash_key_before_comparison = prehash_key_before_comparison


# IAVL trees (Cosmos SDK module stores): proof op type "ics23:iavl".
IAVL_SPEC = ProofSpec(
    leaf_spec=LeafOp(hash=SHA256, prehash_key=NO_HASH, prehash_value=SHA256, length=VAR_PROTO,
                     prefix=b"\x00"),
    inner_spec=InnerSpec(child_order=(0, 1), child_size=33, min_prefix_length=4,
                         max_prefix_length=12, empty_child=b"", hash=SHA256),
)

# CometBFT crypto/merkle simple trees (the SDK multistore): proof op type "ics23:simple".
TENDERMINT_SPEC = ProofSpec(
    leaf_spec=LeafOp(hash=SHA256, prehash_key=NO_HASH, prehash_value=SHA256, length=VAR_PROTO,
                     prefix=b"\x00"),
    inner_spec=InnerSpec(child_order=(0, 1), child_size=32, min_prefix_length=1,
                         max_prefix_length=1, empty_child=b"", hash=SHA256),
)

# Sparse Merkle trees (celestiaorg/smt): proof op type "ics23:smt".
SMT_SPEC = ProofSpec(
    leaf_spec=LeafOp(hash=SHA256, prehash_key=SHA256, prehash_value=SHA256, length=NO_PREFIX,
                     prefix=b"\x00"),
    inner_spec=InnerSpec(child_order=(0, 1), child_size=32, min_prefix_length=1,
                         max_prefix_length=1, empty_child=bytes(32), hash=SHA256),
    max_depth=256,
    prehash_key_before_comparison=True,
)

SPECS_BY_OP_TYPE = {
    "ics23:iavl": IAVL_SPEC,
    "ics23:simple": TENDERMINT_SPEC,
    "ics23:smt": SMT_SPEC,
}


# --- decoding -------------------------------------------------------------------------------

def _enum(fs, field):
    return proto.to_int32(proto.get_one(fs, field, proto.VARINT, 0))


def _bounded(b, limit, check, what):
    if len(b) > limit:
        raise DecodeError(check, what + " is too long", length=len(b), limit=limit)
    return b


def decode_leaf_op(buf):
    fs = proto.fields(buf, max_fields=16)
    return LeafOp(hash=_enum(fs, 1), prehash_key=_enum(fs, 2), prehash_value=_enum(fs, 3),
                  length=_enum(fs, 4), prefix=proto.get_one(fs, 5, proto.LEN, b""))


def decode_inner_op(buf):
    fs = proto.fields(buf, max_fields=16)
    return InnerOp(hash=_enum(fs, 1), prefix=proto.get_one(fs, 2, proto.LEN, b""),
                   suffix=proto.get_one(fs, 3, proto.LEN, b""))


def decode_existence_proof(buf):
    fs = proto.fields(buf, max_fields=MAX_PATH_DEPTH + 16)
    key = _bounded(proto.get_one(fs, 1, proto.LEN, b""), MAX_KEY_LEN, "ics23_key_too_long", "key")
    value = _bounded(proto.get_one(fs, 2, proto.LEN, b""), MAX_VALUE_LEN, "ics23_value_too_long",
                     "value")
    leaf_buf = proto.get_one(fs, 3, proto.LEN)
    raw_path = proto.get_all(fs, 4, proto.LEN)
    if len(raw_path) > MAX_PATH_DEPTH:
        raise DecodeError("ics23_path_too_long", "existence proof has too many inner ops",
                          depth=len(raw_path), limit=MAX_PATH_DEPTH)
    leaf = decode_leaf_op(leaf_buf) if leaf_buf is not None else None
    return ExistenceProof(key=key, value=value, leaf=leaf,
                          path=[decode_inner_op(b) for b in raw_path])


def decode_non_existence_proof(buf):
    fs = proto.fields(buf, max_fields=16)
    key = _bounded(proto.get_one(fs, 1, proto.LEN, b""), MAX_KEY_LEN, "ics23_key_too_long", "key")
    left = proto.get_one(fs, 2, proto.LEN)
    right = proto.get_one(fs, 3, proto.LEN)
    return NonExistenceProof(
        key=key,
        left=decode_existence_proof(left) if left is not None else None,
        right=decode_existence_proof(right) if right is not None else None,
    )


def _oneof(fs, names, what):
    """(field, bytes) of the one member of a oneof that is set; more than one is malformed."""
    found = None
    for f in names:
        if f in fs:
            if found is not None:
                raise DecodeError("ics23_proof_oneof", what + " sets more than one kind",
                                  fields=str(sorted(k for k in names if k in fs)))
            found = f
    if found is None:
        raise DecodeError("ics23_proof_empty", what + " sets no proof kind")
    return found, proto.get_one(fs, found, proto.LEN)


def decode_commitment_proof(data):
    """A protobuf CommitmentProof as an ExistenceProof or NonExistenceProof."""
    if not isinstance(data, (bytes, bytearray)):
        raise DecodeError("ics23_proof_type", "proof must be bytes", type=type(data).__name__)
    if len(data) > MAX_PROOF_BYTES:
        raise DecodeError("ics23_proof_too_large", "proof is too large", length=len(data),
                          limit=MAX_PROOF_BYTES)
    fs = proto.fields(bytes(data), max_fields=16)
    field, body = _oneof(fs, (1, 2, 3, 4), "CommitmentProof")
    if field == 1:
        return decode_existence_proof(body)
    if field == 2:
        return decode_non_existence_proof(body)
    if field == 3:
        entries = proto.get_all(proto.fields(body, max_fields=16), 1, proto.LEN)
        if len(entries) == 1:
            efs = proto.fields(entries[0], max_fields=16)
            efield, ebody = _oneof(efs, (1, 2), "BatchEntry")
            if efield == 1:
                return decode_existence_proof(ebody)
            return decode_non_existence_proof(ebody)
        raise ProofError("ics23_unsupported_proof", "batch proofs are not supported",
                         entries=len(entries))
    raise ProofError("ics23_unsupported_proof", "compressed batch proofs are not supported")


# --- encoding (the proof builder and the tests use it; verification does not) ----------------

def encode_leaf_op(op):
    return (proto.varint_field(1, op.hash) + proto.varint_field(2, op.prehash_key)
            + proto.varint_field(3, op.prehash_value) + proto.varint_field(4, op.length)
            + proto.bytes_field(5, op.prefix))


def encode_inner_op(op):
    return (proto.varint_field(1, op.hash) + proto.bytes_field(2, op.prefix)
            + proto.bytes_field(3, op.suffix))


def encode_existence_proof(p):
    out = proto.bytes_field(1, p.key) + proto.bytes_field(2, p.value)
    if p.leaf is not None:
        out += proto.message_field(3, encode_leaf_op(p.leaf))
    for op in p.path:
        out += proto.message_field(4, encode_inner_op(op))
    return out


def encode_non_existence_proof(p):
    out = proto.bytes_field(1, p.key)
    if p.left is not None:
        out += proto.message_field(2, encode_existence_proof(p.left))
    if p.right is not None:
        out += proto.message_field(3, encode_existence_proof(p.right))
    return out


def encode_commitment_proof(p):
    if isinstance(p, ExistenceProof):
        return proto.message_field(1, encode_existence_proof(p))
    return proto.message_field(2, encode_non_existence_proof(p))


def _as_proof(proof):
    if isinstance(proof, (ExistenceProof, NonExistenceProof)):
        return proof
    return decode_commitment_proof(proof)


# --- hashing and leaf / inner operations ----------------------------------------------------

def do_hash(hash_op, data):
    if hash_op == SHA256:
        return hashlib.sha256(bytes(data)).digest()
    raise ProofError("ics23_unsupported_hash", "hash op not supported (only SHA256)",
                     hash_op=hash_op)


def do_hash_or_noop(hash_op, data):
    if hash_op == NO_HASH:
        return data
    return do_hash(hash_op, data)


def do_length_op(length_op, data):
    n = len(data)
    if length_op == NO_PREFIX:
        return data
    if length_op == VAR_PROTO:
        return proto.uvarint(n) + data
    if length_op == REQUIRE_32_BYTES or length_op == REQUIRE_64_BYTES:
        want = 32 if length_op == REQUIRE_32_BYTES else 64
        if n != want:
            raise ProofError("ics23_length_required", "data has the wrong length",
                             length=n, required=want)
        return data
    if length_op == FIXED32_BIG:
        return n.to_bytes(4, "big") + data
    if length_op == FIXED32_LITTLE:
        return n.to_bytes(4, "little") + data
    if length_op == FIXED64_BIG:
        return n.to_bytes(8, "big") + data
    if length_op == FIXED64_LITTLE:
        return n.to_bytes(8, "little") + data
    raise ProofError("ics23_unsupported_length", "length op not supported", length_op=length_op)


def apply_leaf(op, key, value):
    if not key:
        raise ProofError("ics23_leaf_key_empty", "leaf op needs a key")
    if not value:
        raise ProofError("ics23_leaf_value_empty", "leaf op needs a value")
    pkey = do_length_op(op.length, do_hash_or_noop(op.prehash_key, key))
    pvalue = do_length_op(op.length, do_hash_or_noop(op.prehash_value, value))
    return do_hash(op.hash, op.prefix + pkey + pvalue)


def apply_inner(op, child):
    if not child:
        raise ProofError("ics23_inner_child_empty", "inner op needs a child hash")
    return do_hash(op.hash, op.prefix + child + op.suffix)


def _calculate(proof, spec):
    if proof.leaf is None:
        raise ProofError("ics23_leaf_missing", "existence proof needs a leaf op")
    res = apply_leaf(proof.leaf, proof.key, proof.value)
    for step in proof.path:
        res = apply_inner(step, res)
        if spec is not None:
            cs = spec.inner_spec.child_size
            if len(res) > cs and cs >= 32:
                raise ProofError("ics23_child_size", "inner result longer than a child",
                                 length=len(res), child_size=cs)
    return res


def calculate_existence_root(proof):
    """The root an existence proof leads to (no spec checks: verify_membership does those)."""
    return _calculate(_as_proof(proof), None)


def calculate_root(proof):
    """CommitmentProof.Calculate: the root of an exist proof, or of a nonexist proof's left
    (else right) neighbour."""
    p = _as_proof(proof)
    if isinstance(p, ExistenceProof):
        return _calculate(p, None)
    if p.left is not None:
        return _calculate(p.left, None)
    if p.right is not None:
        return _calculate(p.right, None)
    raise ProofError("ics23_nonexist_empty", "non-existence proof has no left and no right proof")


# --- checks against a spec ------------------------------------------------------------------

def spec_equals(a, b):
    """The reference's (over-declaring) SpecEquals: decides whether the IAVL op checks apply."""
    if a.leaf_spec is None or b.leaf_spec is None or a.inner_spec is None or b.inner_spec is None:
        return False
    la, lb, ia, ib = a.leaf_spec, b.leaf_spec, a.inner_spec, b.inner_spec
    return (la.hash == lb.hash and la.prehash_key == lb.prehash_key
            and la.prehash_value == lb.prehash_value and la.length == lb.length
            and ia.hash == ib.hash and ia.min_prefix_length == ib.min_prefix_length
            and ia.max_prefix_length == ib.max_prefix_length
            and ia.child_size == ib.child_size
            and len(ia.child_order) == len(ib.child_order))


def _read_varint(buf, pos, layer):
    """Go's binary.ReadVarint (zig-zag) on an IAVL op prefix."""
    try:
        u, pos = proto.read_uvarint(buf, pos, len(buf))
    except DecodeError as e:
        raise ProofError("ics23_iavl_varint", "IAVL op prefix holds no valid varint",
                         layer=layer, cause=e.check)
    return ((u >> 1) ^ -(u & 1)), pos


def validate_iavl_op(op, layer):
    """IAVL ops carry height, size, version (zig-zag varints) at the start of their prefix.
    layer 0 is the leaf, inner ops count 1, 2, ... from the leaf up."""
    prefix = op.prefix
    height, pos = _read_varint(prefix, 0, layer)
    if height < 0 or height < layer:
        raise ProofError("ics23_iavl_height", "IAVL height must be >= 0 and >= the layer number",
                         height=height, layer=layer)
    size, pos = _read_varint(prefix, pos, layer)
    if size < 0:
        raise ProofError("ics23_iavl_size", "IAVL size must be non-negative", size=size,
                         layer=layer)
    version, pos = _read_varint(prefix, pos, layer)
    if version < 0:
        raise ProofError("ics23_iavl_version", "IAVL version must be non-negative",
                         version=version, layer=layer)
    rem = len(prefix) - pos
    if layer == 0:
        if rem != 0:
            raise ProofError("ics23_iavl_prefix_length", "IAVL leaf prefix has trailing bytes",
                             remaining=rem)
    else:
        if rem != 1 and rem != 34:
            raise ProofError("ics23_iavl_prefix_length",
                             "IAVL inner prefix must end in 1 or 34 bytes", remaining=rem,
                             layer=layer)
        if op.hash != SHA256:
            raise ProofError("ics23_iavl_hash", "IAVL inner op must hash with SHA256",
                             hash_op=op.hash, layer=layer)


def check_leaf_op(op, spec):
    """LeafOp.CheckAgainstSpec."""
    lspec = spec.leaf_spec
    if lspec is None:
        raise ProofError("ics23_spec_invalid", "spec has no leaf spec")
    if spec_equals(spec, IAVL_SPEC):
        validate_iavl_op(op, 0)
    if op.hash != lspec.hash:
        raise ProofError("ics23_leaf_hash", "unexpected leaf hash op", got=op.hash,
                         expected=lspec.hash)
    if op.prehash_key != lspec.prehash_key:
        raise ProofError("ics23_leaf_prehash_key", "unexpected leaf prehash_key",
                         got=op.prehash_key, expected=lspec.prehash_key)
    if op.prehash_value != lspec.prehash_value:
        raise ProofError("ics23_leaf_prehash_value", "unexpected leaf prehash_value",
                         got=op.prehash_value, expected=lspec.prehash_value)
    if op.length != lspec.length:
        raise ProofError("ics23_leaf_length", "unexpected leaf length op", got=op.length,
                         expected=lspec.length)
    if op.prefix[:len(lspec.prefix)] != lspec.prefix:
        raise ProofError("ics23_leaf_prefix", "leaf prefix does not start with the spec's",
                         prefix=op.prefix, expected=lspec.prefix)
    return True


def _check_inner_spec(spec):
    ispec = spec.inner_spec
    if ispec is None or spec.leaf_spec is None:
        raise ProofError("ics23_spec_invalid", "spec needs a leaf spec and an inner spec")
    if ispec.child_size <= 0:
        raise ProofError("ics23_spec_invalid", "inner spec child_size must be >= 1",
                         child_size=ispec.child_size)
    if ispec.max_prefix_length >= ispec.min_prefix_length + ispec.child_size:
        raise ProofError("ics23_spec_invalid",
                         "inner spec max_prefix_length must be < min_prefix_length + child_size",
                         max_prefix_length=ispec.max_prefix_length,
                         min_prefix_length=ispec.min_prefix_length, child_size=ispec.child_size)
    n = len(ispec.child_order)
    if n < 2 or sorted(ispec.child_order) != list(range(n)):
        raise ProofError("ics23_spec_invalid", "child_order must be a permutation of 0..n-1",
                         child_order=str(ispec.child_order))
    return ispec


def check_inner_op(op, spec, layer):
    """InnerOp.CheckAgainstSpec; layer counts 1, 2, ... from the leaf up."""
    ispec = _check_inner_spec(spec)
    if op.hash != ispec.hash:
        raise ProofError("ics23_inner_hash", "unexpected inner hash op", got=op.hash,
                         expected=ispec.hash, layer=layer)
    if spec_equals(spec, IAVL_SPEC):
        validate_iavl_op(op, layer)
    lprefix = spec.leaf_spec.prefix
    if op.prefix[:len(lprefix)] == lprefix:
        raise ProofError("ics23_inner_leaf_prefix", "inner prefix starts with the leaf prefix",
                         prefix=op.prefix, layer=layer)
    if len(op.prefix) < ispec.min_prefix_length:
        raise ProofError("ics23_inner_prefix_too_short", "inner prefix too short",
                         length=len(op.prefix), min=ispec.min_prefix_length, layer=layer)
    max_left = (len(ispec.child_order) - 1) * ispec.child_size
    if len(op.prefix) > ispec.max_prefix_length + max_left:
        raise ProofError("ics23_inner_prefix_too_long", "inner prefix too long",
                         length=len(op.prefix), max=ispec.max_prefix_length + max_left,
                         layer=layer)
    if len(op.suffix) % ispec.child_size != 0:
        raise ProofError("ics23_inner_suffix", "inner suffix is not a whole number of children",
                         length=len(op.suffix), child_size=ispec.child_size, layer=layer)
    return True


def check_existence_spec(proof, spec):
    """ExistenceProof.CheckAgainstSpec: leaf, depth bounds, then every inner op."""
    if proof.leaf is None:
        raise ProofError("ics23_leaf_missing", "existence proof needs a leaf op")
    check_leaf_op(proof.leaf, spec)
    depth = len(proof.path)
    if spec.min_depth > 0 and depth < spec.min_depth:
        raise ProofError("ics23_depth_too_short", "too few inner ops", depth=depth,
                         min=spec.min_depth)
    max_depth = spec.max_depth if spec.max_depth > 0 else DEFAULT_MAX_DEPTH
    if depth > max_depth:
        raise ProofError("ics23_depth_too_long", "too many inner ops", depth=depth, max=max_depth)
    layer = 1
    for op in proof.path:
        check_inner_op(op, spec, layer)
        layer += 1
    return True


# --- neighbour checks for non-existence -----------------------------------------------------

def _position(order, branch):
    for i in range(len(order)):
        if order[i] == branch:
            return i
    raise ProofError("ics23_spec_invalid", "branch not in child_order", branch=branch)


def _padding(ispec, branch):
    idx = _position(ispec.child_order, branch)
    prefix = idx * ispec.child_size
    suffix = (len(ispec.child_order) - 1 - idx) * ispec.child_size
    return prefix + ispec.min_prefix_length, prefix + ispec.max_prefix_length, suffix


def _has_padding(op, pad):
    return pad[0] <= len(op.prefix) <= pad[1] and len(op.suffix) == pad[2]


def order_from_padding(ispec, op):
    """Which child (branch number) the step's padding says the proven node is; None if none."""
    for branch in range(len(ispec.child_order)):
        if _has_padding(op, _padding(ispec, branch)):
            return branch
    return None


def left_branches_are_empty(ispec, op):
    idx = order_from_padding(ispec, op)
    if idx is None or idx == 0:
        return False
    cs = ispec.child_size
    actual_prefix = len(op.prefix) - idx * cs
    if actual_prefix < 0:
        return False
    for i in range(idx):
        start = actual_prefix + _position(ispec.child_order, i) * cs
        if op.prefix[start:start + cs] != ispec.empty_child:
            return False
    return True


def right_branches_are_empty(ispec, op):
    idx = order_from_padding(ispec, op)
    if idx is None:
        return False
    right = len(ispec.child_order) - 1 - idx
    if right == 0:
        return False
    cs = ispec.child_size
    if len(op.suffix) != right * cs:
        return False
    for i in range(right):
        start = _position(ispec.child_order, i) * cs
        if op.suffix[start:start + cs] != ispec.empty_child:
            return False
    return True


def is_left_most(ispec, path):
    pad = _padding(ispec, 0)
    for step in path:
        if not _has_padding(step, pad) and not left_branches_are_empty(ispec, step):
            return False
    return True


def is_right_most(ispec, path):
    pad = _padding(ispec, len(ispec.child_order) - 1)
    for step in path:
        if not _has_padding(step, pad) and not right_branches_are_empty(ispec, step):
            return False
    return True


def is_left_neighbor(ispec, left, right):
    """True if `right` is the next path to the right of `left` (both from leaf to root)."""
    li = len(left) - 1
    ri = len(right) - 1
    while li >= 0 and ri >= 0 and left[li].prefix == right[ri].prefix \
            and left[li].suffix == right[ri].suffix:
        li -= 1
        ri -= 1
    if li < 0 or ri < 0:
        return False
    lidx = order_from_padding(ispec, left[li])
    ridx = order_from_padding(ispec, right[ri])
    if lidx is None or ridx is None or ridx != lidx + 1:
        return False
    return is_right_most(ispec, left[:li]) and is_left_most(ispec, right[:ri])


# --- verification ---------------------------------------------------------------------------

def _bytes_arg(b, name):
    if not isinstance(b, (bytes, bytearray)):
        raise DecodeError("ics23_argument_type", name + " must be bytes", type=type(b).__name__)
    return bytes(b)


def verify_existence(proof, spec, root, key, value):
    """ExistenceProof.Verify: spec checks, key, value, then the computed root."""
    check_existence_spec(proof, spec)
    if proof.key != key:
        raise ProofError("ics23_key_mismatch", "proof is for another key", key=key,
                         proof_key=proof.key)
    if proof.value != value:
        raise ProofError("ics23_value_mismatch", "proof is for another value", value=value,
                         proof_value=proof.value)
    calc = _calculate(proof, spec)
    if calc != root:
        raise ProofError("ics23_root_mismatch", "proof leads to another root", expected=root,
                         got=calc)
    return True


def _key_for_comparison(spec, key):
    if not spec.prehash_key_before_comparison:
        return key
    return do_hash_or_noop(spec.leaf_spec.prehash_key, key)


def _verify_side(side, proof, spec, root):
    try:
        verify_existence(proof, spec, root, proof.key, proof.value)
    except ProofError as e:
        e.details["side"] = side
        raise


def verify_non_existence(proof, spec, root, key):
    """NonExistenceProof.Verify: both neighbours exist under root, they bracket key, and they
    are adjacent (or the one present is the left-most / right-most leaf)."""
    ispec = _check_inner_spec(spec)
    if proof.left is not None:
        _verify_side("left", proof.left, spec, root)
    if proof.right is not None:
        _verify_side("right", proof.right, spec, root)
    if proof.left is None and proof.right is None:
        raise ProofError("ics23_nonexist_empty", "non-existence proof has no left and no right")
    ckey = _key_for_comparison(spec, key)
    if proof.right is not None and not ckey < _key_for_comparison(spec, proof.right.key):
        raise ProofError("ics23_key_not_left_of_right", "key is not left of the right proof",
                         key=key, right_key=proof.right.key)
    if proof.left is not None and not _key_for_comparison(spec, proof.left.key) < ckey:
        raise ProofError("ics23_key_not_right_of_left", "key is not right of the left proof",
                         key=key, left_key=proof.left.key)
    if proof.left is None:
        if not is_left_most(ispec, proof.right.path):
            raise ProofError("ics23_not_left_most",
                             "left proof missing, right proof must be left-most")
    elif proof.right is None:
        if not is_right_most(ispec, proof.left.path):
            raise ProofError("ics23_not_right_most",
                             "right proof missing, left proof must be right-most")
    elif not is_left_neighbor(ispec, proof.left.path, proof.right.path):
        raise ProofError("ics23_not_neighbors", "left and right proofs are not adjacent")
    return True


def verify_membership(spec, root, proof, key, value):
    """key = value is committed under root. proof: CommitmentProof bytes or a decoded
    ExistenceProof. True, or ProofError / DecodeError naming the failed check."""
    root = _bytes_arg(root, "root")
    key = _bytes_arg(key, "key")
    value = _bytes_arg(value, "value")
    p = _as_proof(proof)
    if not isinstance(p, ExistenceProof):
        raise ProofError("ics23_wrong_proof_kind", "membership needs an existence proof",
                         kind="nonexist")
    return verify_existence(p, spec, root, key, value)


def verify_non_membership(spec, root, proof, key):
    """key is absent under root. proof: CommitmentProof bytes or a decoded NonExistenceProof."""
    root = _bytes_arg(root, "root")
    key = _bytes_arg(key, "key")
    p = _as_proof(proof)
    if not isinstance(p, NonExistenceProof):
        raise ProofError("ics23_wrong_proof_kind", "non-membership needs a non-existence proof",
                         kind="exist")
    return verify_non_existence(p, spec, root, key)


# --- Cosmos SDK proof chain (abci_query prove=true) ------------------------------------------

def _as_key(k, what):
    if isinstance(k, str):
        return k.encode()
    if isinstance(k, (bytes, bytearray)):
        return bytes(k)
    raise DecodeError("abci_proof_key_type", what + " must be bytes or str", type=type(k).__name__)


def verify_abci_proof_ops(ops, app_hash, key_path, value):
    """The SDK's proof chain (CometBFT ProofOperators.Verify with CommitmentOp): ops[i] is
    (type, key, data) from `proofOps.ops`, innermost first; key_path is [store_name, key], consumed
    from the end. The first op proves key -> value (or, with value None, the absence of key)
    under the root it computes; each further op proves the previous root under the next, and
    the last root must equal app_hash. True, or ProofError / DecodeError."""
    if not isinstance(ops, (list, tuple)) or not isinstance(key_path, (list, tuple)):
        raise DecodeError("abci_proof_ops_shape", "ops and key_path must be lists")
    n = len(ops)
    if n == 0 or n > MAX_PROOF_OPS:
        raise ProofError("abci_proof_ops_count", "wrong number of proof ops", ops=n,
                         limit=MAX_PROOF_OPS)
    if len(key_path) != n:
        raise ProofError("abci_proof_key_path", "key path and proof ops differ in length",
                         ops=n, keys=len(key_path))
    app_hash = _bytes_arg(app_hash, "app_hash")
    if value is not None:
        value = _bytes_arg(value, "value")
    # Cheap structural checks first: every op's type, key and encoding.
    steps = []
    for i in range(n):
        op = ops[i]
        if not isinstance(op, (list, tuple)) or len(op) != 3:
            raise DecodeError("abci_proof_op_shape", "proof op must be (type, key, data)", index=i)
        typ, key, data = op
        spec = SPECS_BY_OP_TYPE.get(typ) if isinstance(typ, str) else None
        if spec is None:
            raise ProofError("abci_proof_op_type", "unsupported proof op type", index=i,
                             type=str(typ))
        key = _as_key(key, "proof op key")
        want = _as_key(key_path[n - 1 - i], "key path element")
        if key != want:
            raise ProofError("abci_proof_op_key", "proof op is for another key", index=i,
                             key=key, expected=want)
        proof = decode_commitment_proof(_bytes_arg(data, "proof op data"))
        steps.append((typ, spec, key, proof))
    # Then the proofs, innermost first.
    arg = value
    for i in range(n):
        typ, spec, key, proof = steps[i]
        root = calculate_root(proof)
        try:
            if arg is None:
                verify_non_membership(spec, root, proof, key)
            else:
                verify_membership(spec, root, proof, key, arg)
        except ProofError as e:
            e.details["op_index"] = i
            e.details["op_type"] = typ
            raise
        arg = root
    if arg != app_hash:
        raise ProofError("abci_app_hash_mismatch", "proof chain leads to another app hash",
                         expected=app_hash, got=arg)
    return True
