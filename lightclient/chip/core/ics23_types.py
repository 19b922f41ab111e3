# ICS23 (github.com/cosmos/ics23, cosmos.ics23.v1) as data: the hash and length op enums, the
# bounds on untrusted proofs, the proof messages, the three specs the Cosmos SDK uses, and their
# protobuf wire format (decode for the verifier; encode for the proof builder and the tests).
# Verification is ics23.py. Shared subset: runs unchanged on CPython and MicroPython.

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


def as_proof(proof):
    if isinstance(proof, (ExistenceProof, NonExistenceProof)):
        return proof
    return decode_commitment_proof(proof)
