"""lightclient.chip.core.types' hand-written encodings against protoc-generated classes (CPython only).

CometBFT's .proto files (trimmed copies in tests/chip/proto/, see its README) are compiled with
grpc_tools.protoc into a temporary directory; hypothesis then draws random values, including zero
and empty ones, negative rounds and heights up to 2**63 - 1, and every encoding that CometBFT
hashes or signs must come out byte for byte as the protobuf library writes it:
the 14 Header.Hash leaves (Consensus, StringValue, Int64Value, Timestamp, BlockID, BytesValue),
BlockID, SimpleValidator (ValidatorSet.Hash leaves) and the length-prefixed CanonicalVote.

gogoproto's `nullable = false` (Go always emits such a field, even empty) is reproduced by
setting those fields explicitly before serializing: `SetInParent()` / `CopyFrom()`.
"""

import importlib
import os
import sys

import pytest
from hypothesis import given, settings, strategies as st

from lightclient.chip.core import types
from lightclient.chip.core import votes
from lightclient.chip.core import valset
from lightclient.chip.core.merkle import hash_from_byte_slices

PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proto")
PROTO_FILES = [
    "tendermint/version/types.proto",
    "tendermint/crypto/keys.proto",
    "tendermint/types/validator.proto",
    "tendermint/types/types.proto",
    "tendermint/types/canonical.proto",
]


# The generated modules live under a private package, `lcoracle.tendermint.*`: cosmpy appends
# its own regular `tendermint` package to sys.path on import (which then shadows a namespace
# package of the same name) and registers `tendermint.types.*` in protobuf's default pool, so a
# worker that ran a cosmpy test first would otherwise load the wrong modules or clash in the pool.
# Package names do not reach the wire, so the encodings compared are unchanged.
ORACLE_PKG = "lcoracle"


def _private_copy(src_dir, dst_dir):
    """Copy PROTO_FILES under dst_dir/lcoracle/ with every `tendermint` package and import
    renamed into the private package."""
    import re
    for rel in PROTO_FILES:
        with open(os.path.join(src_dir, rel)) as f:
            text = f.read()
        text = text.replace('import "tendermint/', 'import "%s/tendermint/' % ORACLE_PKG)
        text = re.sub(r"(?<![\w./])tendermint\.", ORACLE_PKG + ".tendermint.", text)
        dst = os.path.join(dst_dir, ORACLE_PKG, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w") as f:
            f.write(text)
    return [os.path.join(dst_dir, ORACLE_PKG, rel) for rel in PROTO_FILES]


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    """The generated modules: pb.types, pb.canonical, pb.validator, pb.keys, pb.version,
    pb.wrappers, pb.timestamp."""
    import grpc_tools
    from grpc_tools import protoc

    src = str(tmp_path_factory.mktemp("protoc_src"))
    out = str(tmp_path_factory.mktemp("protoc_out"))
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    files = _private_copy(PROTO_DIR, src)
    rc = protoc.main(["protoc", "-I" + src, "-I" + include, "--python_out=" + out] + files)
    assert rc == 0, "protoc failed"
    sys.path.insert(0, out)
    try:
        class NS:
            pass

        ns = NS()
        prefix = ORACLE_PKG + ".tendermint."
        ns.version = importlib.import_module(prefix + "version.types_pb2")
        ns.keys = importlib.import_module(prefix + "crypto.keys_pb2")
        ns.validator = importlib.import_module(prefix + "types.validator_pb2")
        ns.types = importlib.import_module(prefix + "types.types_pb2")
        ns.canonical = importlib.import_module(prefix + "types.canonical_pb2")
        from google.protobuf import timestamp_pb2, wrappers_pb2
        ns.wrappers = wrappers_pb2
        ns.timestamp = timestamp_pb2
        yield ns
    finally:
        sys.path.remove(out)


# --- strategies -------------------------------------------------------------------------------

U64 = (1 << 64) - 1
U32 = (1 << 32) - 1


def _edges(lo, hi, extra=()):
    """Integers in [lo, hi], with the bounds and small edge values drawn often."""
    specials = sorted({v for v in (lo, hi, 0, 1, -1, 127, 128) + tuple(extra) if lo <= v <= hi})
    return st.one_of(st.integers(lo, hi), st.sampled_from(specials))


u64s = _edges(0, U64)
u32s = _edges(0, U32)
int64s = _edges(types.INT64_MIN, types.INT64_MAX)
non_neg_int64s = _edges(0, types.INT64_MAX)
int32s = _edges(types.INT32_MIN, types.INT32_MAX)
times = _edges(types.MIN_TIME_NS, types.MAX_TIME_NS, (999999999, 1000000000, -999999999))
hashes = st.one_of(st.just(b""), st.binary(min_size=32, max_size=32), st.binary(max_size=80))
chain_ids = st.text(max_size=50)


@st.composite
def block_ids(draw):
    return types.BlockID(draw(hashes), draw(u32s), draw(hashes))


@st.composite
def headers(draw):
    return types.Header(draw(u64s), draw(u64s), draw(chain_ids), draw(int64s), draw(times),
                        draw(block_ids()), draw(hashes), draw(hashes), draw(hashes),
                        draw(hashes), draw(hashes), draw(hashes), draw(hashes), draw(hashes),
                        draw(hashes))


# --- oracle encodings -------------------------------------------------------------------------

def _pb_timestamp(pb, time_ns):
    seconds, nanos = divmod(time_ns, 1000000000)
    return pb.timestamp.Timestamp(seconds=seconds, nanos=nanos)


def _pb_block_id(pb, b, cls=None):
    cls = cls or pb.types.BlockID
    m = cls(hash=b.hash)
    m.part_set_header.total = b.part_set_total
    m.part_set_header.hash = b.part_set_hash
    m.part_set_header.SetInParent()  # nullable = false
    return m


def _pb_header_leaves(pb, h):
    w = pb.wrappers
    return [
        pb.version.Consensus(block=h.version_block, app=h.version_app).SerializeToString(),
        w.StringValue(value=h.chain_id).SerializeToString(),
        w.Int64Value(value=h.height).SerializeToString(),
        _pb_timestamp(pb, h.time_ns).SerializeToString(),
        _pb_block_id(pb, h.last_block_id).SerializeToString(),
    ] + [w.BytesValue(value=getattr(h, f)).SerializeToString()
         for f in ("last_commit_hash", "data_hash", "validators_hash", "next_validators_hash",
                   "consensus_hash", "app_hash", "last_results_hash", "evidence_hash",
                   "proposer_address")]


def _uvarint(n):
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _pb_vote_sign_bytes(pb, chain_id, commit, index):
    sig = commit.signatures[index]
    v = pb.canonical.CanonicalVote(type=pb.types.SIGNED_MSG_TYPE_PRECOMMIT, height=commit.height,
                                   round=commit.round, chain_id=chain_id)
    if sig.flag == types.BLOCK_ID_FLAG_COMMIT and not commit.block_id.is_zero():
        v.block_id.CopyFrom(_pb_block_id(pb, commit.block_id, pb.canonical.CanonicalBlockID))
    v.timestamp.CopyFrom(_pb_timestamp(pb, sig.timestamp_ns))
    v.timestamp.SetInParent()  # nullable = false: emitted even for the epoch (empty Timestamp)
    body = v.SerializeToString()
    return _uvarint(len(body)) + body


# --- the comparisons --------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(h=headers())
def test_header_leaves_and_hash(pb, h):
    ours = h.field_leaves()
    theirs = _pb_header_leaves(pb, h)
    assert len(ours) == 14
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, (types.Header.HASHED_FIELDS[i], a.hex(), b.hex())
    if h.validators_hash:
        assert h.hash() == hash_from_byte_slices(theirs)
    else:
        assert h.hash() is None


@settings(max_examples=300, deadline=None)
@given(b=block_ids())
def test_block_id(pb, b):
    assert b.encode() == _pb_block_id(pb, b).SerializeToString()
    # CanonicalBlockID has the same field numbers and types: the same bytes.
    assert b.encode() == _pb_block_id(pb, b, pb.canonical.CanonicalBlockID).SerializeToString()
    assert b.is_zero() == (not b.hash and not b.part_set_hash and b.part_set_total == 0)


def test_block_id_zero_and_empty_timestamp(pb):
    z = types.BlockID(b"", 0, b"")
    assert z.encode() == _pb_block_id(pb, z).SerializeToString() == b"\x12\x00"
    assert types.timestamp_bytes(0) == _pb_timestamp(pb, 0).SerializeToString() == b""


@st.composite
def validators(draw):
    key_type = draw(st.sampled_from(["ed25519", "secp256k1"]))
    pub = draw(st.binary(min_size=types.PUB_KEY_SIZES[key_type],
                         max_size=types.PUB_KEY_SIZES[key_type]))
    return valset.Validator(draw(st.binary(min_size=20, max_size=20)), key_type, pub,
                           draw(non_neg_int64s), draw(int64s))


@settings(max_examples=300, deadline=None)
@given(v=validators())
def test_simple_validator(pb, v):
    pk = pb.keys.PublicKey(**{v.key_type: v.pub_key})
    m = pb.validator.SimpleValidator(pub_key=pk, voting_power=v.voting_power)
    assert v.hash_bytes() == m.SerializeToString()


@settings(max_examples=100, deadline=None)
@given(vals=st.lists(validators(), max_size=12, unique_by=lambda v: v.address))
def test_validator_set_hash(pb, vals):
    total = sum(v.voting_power for v in vals)
    if total > types.MAX_TOTAL_VOTING_POWER:
        return
    leaves = [pb.validator.SimpleValidator(
        pub_key=pb.keys.PublicKey(**{v.key_type: v.pub_key}),
        voting_power=v.voting_power).SerializeToString() for v in vals]
    assert valset.ValidatorSet(vals).hash() == hash_from_byte_slices(leaves)


@st.composite
def commits(draw):
    n = draw(st.integers(1, 6))
    sigs = []
    for _ in range(n):
        flag = draw(st.sampled_from([types.BLOCK_ID_FLAG_COMMIT, types.BLOCK_ID_FLAG_NIL]))
        sigs.append(votes.CommitSig(flag, draw(st.binary(min_size=20, max_size=20)), draw(times),
                                    draw(st.binary(min_size=64, max_size=64))))
    bid = draw(st.one_of(st.just(types.BlockID(b"", 0, b"")), block_ids()))
    return votes.Commit(draw(int64s), draw(int32s), bid, sigs)


@settings(max_examples=300, deadline=None)
@given(chain_id=chain_ids, commit=commits())
def test_canonical_vote_sign_bytes(pb, chain_id, commit):
    builder = votes.SignBytesBuilder(chain_id, commit)
    for i in range(len(commit.signatures)):
        want = _pb_vote_sign_bytes(pb, chain_id, commit, i)
        assert builder.for_index(i) == want
        assert votes.vote_sign_bytes(chain_id, commit, i) == want


def test_real_commit_through_the_oracle(pb):
    """The real node's commit: protoc's bytes are also the ones the validator signed."""
    import json
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from lightclient.chip.core import rpcjson

    root = os.path.join(os.path.dirname(PROTO_DIR), "..", "..", "..", "shared", "vectors", "cometbft",
                        "rpc", "kvstore-v0.38")
    with open(os.path.join(root, "commit_at_height_10.json")) as f:
        sh = rpcjson.signed_header_from_json(json.load(f)["result"]["signed_header"])
    with open(os.path.join(root, "genesis.json")) as f:
        vals = rpcjson.validator_set_from_json(json.load(f)["result"]["genesis"]["validators"])
    sb = _pb_vote_sign_bytes(pb, sh.header.chain_id, sh.commit, 0)
    Ed25519PublicKey.from_public_bytes(vals.validators[0].pub_key).verify(
        sh.commit.signatures[0].signature, sb)  # raises if not signed
    assert hash_from_byte_slices(_pb_header_leaves(pb, sh.header)) == sh.commit.block_id.hash
