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
# The proof messages, the specs and their wire format are in ics23_types.py.
# Shared subset: runs unchanged on CPython and MicroPython.

import hashlib

from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError, ProofError
from lightclient.chip.core.ics23_types import (DEFAULT_MAX_DEPTH, ExistenceProof, FIXED32_BIG,
                                               FIXED32_LITTLE, FIXED64_BIG, FIXED64_LITTLE,
                                               IAVL_SPEC, NO_HASH, NO_PREFIX, NonExistenceProof,
                                               REQUIRE_32_BYTES, REQUIRE_64_BYTES, SHA256,
                                               VAR_PROTO, as_proof)


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
    return _calculate(as_proof(proof), None)


def calculate_root(proof):
    """CommitmentProof.Calculate: the root of an exist proof, or of a nonexist proof's left
    (else right) neighbour."""
    p = as_proof(proof)
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

def bytes_arg(b, name):
    if not isinstance(b, (bytes, bytearray)):
        raise DecodeError("ics23_argument_type", name + " must be bytes", type=type(b).__name__)
    return bytes(b)


def existence_root(proof, spec, key, value):
    """ExistenceProof.Verify without the last comparison: spec checks, key, value, then the root
    the proof leads to (which the caller compares, or takes as the root, as the SDK's proof chain
    does: its CommitmentOp computes the root and then verifies the proof against it, hashing the
    path, and a 4 KB value, twice to compare a result with itself)."""
    check_existence_spec(proof, spec)
    if proof.key != key:
        raise ProofError("ics23_key_mismatch", "proof is for another key", key=key,
                         proof_key=proof.key)
    if proof.value != value:
        raise ProofError("ics23_value_mismatch", "proof is for another value", value=value,
                         proof_value=proof.value)
    return _calculate(proof, spec)


def verify_existence(proof, spec, root, key, value):
    """ExistenceProof.Verify: spec checks, key, value, then the computed root."""
    calc = existence_root(proof, spec, key, value)
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
    root = bytes_arg(root, "root")
    key = bytes_arg(key, "key")
    value = bytes_arg(value, "value")
    p = as_proof(proof)
    if not isinstance(p, ExistenceProof):
        raise ProofError("ics23_wrong_proof_kind", "membership needs an existence proof",
                         kind="nonexist")
    return verify_existence(p, spec, root, key, value)


def verify_non_membership(spec, root, proof, key):
    """key is absent under root. proof: CommitmentProof bytes or a decoded NonExistenceProof."""
    root = bytes_arg(root, "root")
    key = bytes_arg(key, "key")
    p = as_proof(proof)
    if not isinstance(p, NonExistenceProof):
        raise ProofError("ics23_wrong_proof_kind", "non-membership needs a non-existence proof",
                         kind="exist")
    return verify_non_existence(p, spec, root, key)
