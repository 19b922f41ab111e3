# The Cosmos SDK proof chain (abci_query prove=true) end to end, CPython only: a multistore built
# with lightclient.scenarionet.ics23_build, whose "bank" and "ibc" stores are the trees of the public
# ics23/iavl vectors and whose other stores are IAVL-shaped trees from the builder.
import hashlib
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightclient.scenarionet import ics23_build
from lightclient.chip.core import ics23, merkle, proto
from lightclient.chip.core import proof_chain
from lightclient.chip.core import ics23_types
from lightclient.chip.core.errors import DecodeError, ProofError

VECTORS = os.environ.get("LIGHTCLIENT_VECTORS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "vectors")


def _vector(name):
    with open(os.path.join(VECTORS, "ics23", "iavl", name + ".json")) as f:
        d = json.load(f)
    return {k: bytes.fromhex(v) for k, v in d.items()}


EXIST = _vector("exist_middle")
NONEXIST = _vector("nonexist_middle")
ACC = ics23_build.IavlTree({b"acc/" + bytes([i]): b"balance %d" % i for i in range(1, 40)},
                           version=7)
DEVICES = ics23_build.IavlTree({"dev/kitchen": b"on", "dev/lamp": b"off", "dev/radio": b"42"},
                               version=7)
STORES = ics23_build.multistore({"acc": ACC.root, "bank": EXIST["root"], "devices": DEVICES.root,
                                 "ibc": NONEXIST["root"]})
APP_HASH = STORES.root


def _ops(store_name, key, store_proof):
    return [("ics23:iavl", key, store_proof),
            ("ics23:simple", store_name.encode(), STORES.proof(store_name))]


def _check(ops, key_path, value, app_hash=APP_HASH):
    return proof_chain.verify_abci_proof_ops(ops, app_hash, key_path, value)


def _fails(exc, ops, key_path, value, app_hash=APP_HASH):
    with pytest.raises(exc) as info:
        _check(ops, key_path, value, app_hash)
    return info.value


# --- the builder itself -----------------------------------------------------------------------

def test_multistore_root_is_cometbft_merkle_over_sdk_kv_pairs():
    roots = {"acc": ACC.root, "bank": EXIST["root"], "devices": DEVICES.root,
             "ibc": NONEXIST["root"]}
    items = [proto.uvarint(len(k)) + k.encode() + proto.uvarint(32)
             + hashlib.sha256(v).digest() for k, v in sorted(roots.items())]
    assert STORES.root == merkle.hash_from_byte_slices(items)


def test_iavl_leaf_and_inner_ops_have_the_vectors_shape():
    # The vector tree's leaves are at version 1: prefix 00 02 02 (height 0, size 1, version 1).
    vec = ics23_types.decode_commitment_proof(EXIST["proof"])
    ours = ics23_build.IavlTree({b"k": b"v"}, version=1).exist_proof(b"k")
    assert ours.leaf.prefix == vec.leaf.prefix == b"\x00\x02\x02"
    for n in (1, 2, 3, 5, 8, 13, 40):
        tree = ics23_build.IavlTree({b"%03d" % i: b"v" for i in range(n)}, version=3)
        for i in range(n):
            k = b"%03d" % i
            assert ics23.verify_membership(ics23_types.IAVL_SPEC, tree.root, tree.proof(k), k, b"v")
            # The IAVL layout checks (height >= layer etc.) pass on every op.
            assert ics23.check_existence_spec(tree.exist_proof(k), ics23_types.IAVL_SPEC)


@pytest.mark.parametrize("cls,spec", [(ics23_build.IavlTree, ics23_types.IAVL_SPEC),
                                      (ics23_build.SimpleMerkleTree, ics23_types.TENDERMINT_SPEC)])
def test_builder_trees_prove_every_key_and_every_gap(cls, spec):
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31):
        tree = cls({b"k%03d" % i: b"v%d" % i for i in range(0, 2 * n, 2)})
        for i in range(0, 2 * n, 2):
            k = b"k%03d" % i
            assert ics23.verify_membership(spec, tree.root, tree.proof(k), k, b"v%d" % i)
            with pytest.raises(ProofError):
                ics23.verify_membership(spec, tree.root, tree.proof(k), k, b"other")
        for probe in [b"a", b"z"] + [b"k%03d" % i for i in range(1, 2 * n, 2)]:
            assert ics23.verify_non_membership(spec, tree.root, tree.proof(probe), probe)


# --- the two-op chain -------------------------------------------------------------------------

def test_membership_of_a_vector_key():
    ops = _ops("bank", EXIST["key"], EXIST["proof"])
    assert _check(ops, ["bank", EXIST["key"]], EXIST["value"]) is True
    assert _check(ops, [b"bank", EXIST["key"]], EXIST["value"]) is True


def test_non_membership_of_a_vector_key():
    ops = _ops("ibc", NONEXIST["key"], NONEXIST["proof"])
    assert _check(ops, ["ibc", NONEXIST["key"]], None) is True


def test_membership_and_absence_in_a_built_store():
    for key, value in ((b"dev/kitchen", b"on"), (b"dev/lamp", b"off"), (b"dev/radio", b"42")):
        assert _check(_ops("devices", key, DEVICES.proof(key)), ["devices", key], value)
    for key in (b"dev/a", b"dev/light", b"dev/zzz"):
        assert _check(_ops("devices", key, DEVICES.proof(key)), ["devices", key], None)


def test_wrong_value_and_wrong_claims():
    key = b"dev/lamp"
    ops = _ops("devices", key, DEVICES.proof(key))
    e = _fails(ProofError, ops, ["devices", key], b"on")
    assert e.check == "ics23_value_mismatch" and e.details["op_index"] == 0
    # Claiming absence of a present key, or presence of an absent one.
    assert _fails(ProofError, ops, ["devices", key], None).check == "ics23_wrong_proof_kind"
    absent = _ops("devices", b"dev/light", DEVICES.proof(b"dev/light"))
    assert _fails(ProofError, absent, ["devices", b"dev/light"], b"x").check == \
        "ics23_wrong_proof_kind"


def test_wrong_app_hash():
    ops = _ops("bank", EXIST["key"], EXIST["proof"])
    for bad in (bytes(32), APP_HASH[:-1] + bytes([APP_HASH[-1] ^ 1]), EXIST["root"]):
        e = _fails(ProofError, ops, ["bank", EXIST["key"]], EXIST["value"], app_hash=bad)
        assert e.check == "abci_app_hash_mismatch"
    ops = _ops("ibc", NONEXIST["key"], NONEXIST["proof"])
    e = _fails(ProofError, ops, ["ibc", NONEXIST["key"]], None, app_hash=bytes(32))
    assert e.check == "abci_app_hash_mismatch"


def test_ops_swapped():
    ops = _ops("bank", EXIST["key"], EXIST["proof"])
    e = _fails(ProofError, ops[::-1], ["bank", EXIST["key"]], EXIST["value"])
    assert e.check == "abci_proof_op_key"
    # Swapped, with the key path swapped to match: the store proof is now checked as a
    # multistore proof and the other way round, and the specs do not fit.
    e = _fails(ProofError, ops[::-1], [EXIST["key"], "bank"], EXIST["value"])
    assert e.check.startswith("ics23_")
    # Types swapped, keys in place: each proof is checked against the other spec.
    swapped = [("ics23:simple",) + ops[0][1:], ("ics23:iavl",) + ops[1][1:]]
    e = _fails(ProofError, swapped, ["bank", EXIST["key"]], EXIST["value"])
    assert e.check.startswith("ics23_") and e.details["op_index"] == 0


def test_proof_for_another_store():
    key = b"dev/lamp"
    # The store proof of "devices" presented as "acc": the multistore proof of "acc" leads to
    # ACC's root, not the one the devices proof computes.
    ops = [("ics23:iavl", key, DEVICES.proof(key)), ("ics23:simple", b"acc", STORES.proof("acc"))]
    e = _fails(ProofError, ops, ["acc", key], b"off")
    assert e.check == "ics23_value_mismatch" and e.details["op_index"] == 1
    # The multistore proof of "devices" relabelled as "acc": its leaf key is "devices".
    ops = [("ics23:iavl", key, DEVICES.proof(key)),
           ("ics23:simple", b"acc", STORES.proof("devices"))]
    e = _fails(ProofError, ops, ["acc", key], b"off")
    assert e.check == "ics23_key_mismatch" and e.details["op_index"] == 1
    # The right proofs, asked about another store name.
    ops = _ops("devices", key, DEVICES.proof(key))
    assert _fails(ProofError, ops, ["acc", key], b"off").check == "abci_proof_op_key"
    # A store that is not in the multistore at all.
    assert _fails(ProofError, ops, ["gov", key], b"off").check == "abci_proof_op_key"


def test_op_count_and_shape():
    ops = _ops("bank", EXIST["key"], EXIST["proof"])
    path = ["bank", EXIST["key"]]
    for n in (ics23_types.MAX_PROOF_OPS + 1, 50):
        e = _fails(ProofError, (ops * n)[:n], path, EXIST["value"])
        assert e.check == "abci_proof_ops_count"
    assert _fails(ProofError, [], path, EXIST["value"]).check == "abci_proof_ops_count"
    assert _fails(ProofError, ops + ops[1:], path, EXIST["value"]).check == "abci_proof_key_path"
    assert _fails(ProofError, ops[:1], path, EXIST["value"]).check == "abci_proof_key_path"
    e = _fails(ProofError, [("ics23:iavl2",) + ops[0][1:], ops[1]], path, EXIST["value"])
    assert e.check == "abci_proof_op_type"
    assert _fails(DecodeError, [ops[0][:2], ops[1]], path, EXIST["value"]).check == \
        "abci_proof_op_shape"
    assert _fails(DecodeError, "ops", path, EXIST["value"]).check == "abci_proof_ops_shape"
    e = _fails(DecodeError, [ops[0], ops[1][:2] + (b"\x0a\x05",)], path, EXIST["value"])
    assert e.check.startswith("proto_")


def test_single_op_chain_for_a_store_root():
    # One ics23:simple op alone proves a store root under the app hash.
    ops = [("ics23:simple", b"devices", STORES.proof("devices"))]
    assert _check(ops, ["devices"], DEVICES.root) is True
    assert _fails(ProofError, ops, ["devices"], ACC.root).check == "ics23_value_mismatch"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_chain_bytes_never_verify_and_never_crash(data):
    key = b"dev/lamp"
    ops = _ops("devices", key, DEVICES.proof(key))
    which = data.draw(st.integers(0, 1))
    blob = bytearray(ops[which][2])
    i = data.draw(st.integers(0, len(blob) - 1))
    blob[i] ^= data.draw(st.integers(1, 255))
    ops[which] = ops[which][:2] + (bytes(blob),)
    try:
        _check(ops, ["devices", key], b"off")
    except (ProofError, DecodeError):
        return
    # Only bytes the reference ignores may change without effect: none in an existence proof.
    pytest.fail("mutated proof verified (op %d, byte %d)" % (which, i))
