# ICS23 commitment proofs against cosmos/ics23's public vectors (../shared/vectors/ics23):
# the exist/nonexist proofs of the three specs, their mutations, and the Test*Data.json files
# that pin the pieces. Dual-runtime: runs on CPython and MicroPython.
import binascii

import dual
from lightclient.chip.core import ics23
from lightclient.chip.core.ics23_types import (ExistenceProof, FIXED32_LITTLE, IAVL_SPEC, InnerOp,
                                               InnerSpec, LeafOp, MAX_KEY_LEN, MAX_PATH_DEPTH,
                                               MAX_PROOF_BYTES, NO_HASH, NO_PREFIX,
                                               NonExistenceProof, ProofSpec, REQUIRE_32_BYTES,
                                               REQUIRE_64_BYTES, SHA256, SHA512, SMT_SPEC,
                                               TENDERMINT_SPEC, VAR_PROTO, VAR_RLP,
                                               decode_commitment_proof, encode_commitment_proof,
                                               encode_existence_proof, encode_non_existence_proof)
from lightclient.chip.core.errors import DecodeError, LightClientError, ProofError

SPECS = (("iavl", IAVL_SPEC), ("tendermint", TENDERMINT_SPEC),
         ("smt", SMT_SPEC))
NAMES = ("exist_left", "exist_middle", "exist_right",
         "nonexist_left", "nonexist_middle", "nonexist_right")


def _b64(s):
    if s is None:
        return b""
    return binascii.a2b_base64(s.encode())


def _vectors():
    for folder, spec in SPECS:
        for name in NAMES:
            d = dual.load_json("ics23/" + folder + "/" + name + ".json")
            yield (folder + "/" + name, spec, name.startswith("exist"),
                   bytes.fromhex(d["key"]), bytes.fromhex(d["value"]),
                   bytes.fromhex(d["root"]), bytes.fromhex(d["proof"]))


def _verify(spec, exist, root, proof, key, value):
    if exist:
        return ics23.verify_membership(spec, root, proof, key, value)
    return ics23.verify_non_membership(spec, root, proof, key)


def _rejected(spec, exist, root, proof, key, value):
    """The proof must be rejected with a typed error; returns its check name."""
    try:
        _verify(spec, exist, root, proof, key, value)
    except (ProofError, DecodeError) as e:
        return e.check
    raise AssertionError("mutated proof was accepted")


def _flip(b, i):
    return b[:i] + bytes([b[i] ^ 0x01]) + b[i + 1:]


# --- the 18 proof vectors -------------------------------------------------------------------

def test_vectors_verify():
    count = 0
    for name, spec, exist, key, value, root, proof in _vectors():
        assert _verify(spec, exist, root, proof, key, value) is True, name
        # The same, handed over as a decoded object.
        p = decode_commitment_proof(proof)
        assert isinstance(p, ExistenceProof if exist else NonExistenceProof), name
        assert _verify(spec, exist, root, p, key, value) is True, name
        assert ics23.calculate_root(proof) == root, name
        if exist:
            assert ics23.calculate_existence_root(proof) == root, name
        count += 1
    assert count == 18


def test_vectors_roundtrip_encoding():
    for name, spec, exist, key, value, root, proof in _vectors():
        assert encode_commitment_proof(decode_commitment_proof(proof)) == proof, name


def test_vectors_wrong_kind_and_wrong_spec():
    for name, spec, exist, key, value, root, proof in _vectors():
        # An existence proof is no absence proof, and the other way round.
        e = dual.raises(ProofError, _verify, spec, not exist, root, proof, key, value)
        assert e.check == "ics23_wrong_proof_kind", (name, e.check)
        # Each proof only verifies under its own spec.
        for other_name, other in SPECS:
            if other is spec:
                continue
            e = dual.raises(ProofError, _verify, other, exist, root, proof, key, value)
            assert e.check.startswith("ics23_"), (name, other_name, e.check)


def test_vectors_wrong_value_key_root():
    for name, spec, exist, key, value, root, proof in _vectors():
        for i in (0, len(root) // 2, len(root) - 1):
            assert _rejected(spec, exist, _flip(root, i), proof, key, value) in (
                "ics23_root_mismatch",), name
        if exist:
            for i in (0, len(value) - 1):
                assert _rejected(spec, exist, root, proof, key, _flip(value, i)) == \
                    "ics23_value_mismatch", name
            for i in (0, len(key) - 1):
                assert _rejected(spec, exist, root, proof, _flip(key, i), value) == \
                    "ics23_key_mismatch", name
            assert _rejected(spec, exist, root, proof, key, value + b"\x00") == \
                "ics23_value_mismatch"
        else:
            # Keys that are present (the neighbours) or outside the bracket are not absent.
            p = decode_commitment_proof(proof)
            if p.left is not None:
                assert _rejected(spec, exist, root, proof, p.left.key, b"") == \
                    "ics23_key_not_right_of_left", name
            if p.right is not None:
                assert _rejected(spec, exist, root, proof, p.right.key, b"") == \
                    "ics23_key_not_left_of_right", name
            if spec is not SMT_SPEC:  # SMT orders keys by their hash
                if p.left is not None:
                    below = p.left.key[:-1] if len(p.left.key) > 1 else b"\x00"
                    assert _rejected(spec, exist, root, proof, below, b"") == \
                        "ics23_key_not_right_of_left", name
                if p.right is not None:
                    above = p.right.key + b"\x00"
                    assert _rejected(spec, exist, root, proof, above, b"") == \
                        "ics23_key_not_left_of_right", name


def _exist_parts(p):
    """The existence proofs inside a decoded proof, with a setter to put a copy back."""
    if isinstance(p, ExistenceProof):
        return [p]
    return [x for x in (p.left, p.right) if x is not None]


def _copy_exist(e):
    leaf = None
    if e.leaf is not None:
        leaf = LeafOp(e.leaf.hash, e.leaf.prehash_key, e.leaf.prehash_value, e.leaf.length,
                            e.leaf.prefix)
    return ExistenceProof(e.key, e.value, leaf,
                                [InnerOp(s.hash, s.prefix, s.suffix) for s in e.path])


def _copy(p):
    if isinstance(p, ExistenceProof):
        return _copy_exist(p)
    return NonExistenceProof(p.key, _copy_exist(p.left) if p.left else None,
                                   _copy_exist(p.right) if p.right else None)


def _positions(b):
    if not b:
        return ()
    return sorted(set((0, len(b) // 2, len(b) - 1)))


def test_vectors_mutated_ops_rejected():
    total = 0
    for name, spec, exist, key, value, root, proof in _vectors():
        base = decode_commitment_proof(proof)
        for part in range(len(_exist_parts(base))):
            # Flip bytes of the leaf prefix.
            n_prefix = len(_exist_parts(base)[part].leaf.prefix)
            for i in _positions(b"x" * n_prefix):
                p = _copy(base)
                leaf = _exist_parts(p)[part].leaf
                leaf.prefix = _flip(leaf.prefix, i)
                _rejected(spec, exist, root, p, key, value)
                total += 1
            # Change the leaf's hash ops and length op.
            for attr in ("hash", "prehash_key", "prehash_value", "length"):
                p = _copy(base)
                leaf = _exist_parts(p)[part].leaf
                setattr(leaf, attr, getattr(leaf, attr) ^ 1)
                _rejected(spec, exist, root, p, key, value)
                total += 1
            # Flip bytes of every inner op's prefix and suffix; change its hash op.
            depth = len(_exist_parts(base)[part].path)
            for j in range(depth):
                step = _exist_parts(base)[part].path[j]
                for attr in ("prefix", "suffix"):
                    for i in _positions(getattr(step, attr)):
                        p = _copy(base)
                        s = _exist_parts(p)[part].path[j]
                        setattr(s, attr, _flip(getattr(s, attr), i))
                        _rejected(spec, exist, root, p, key, value)
                        total += 1
                p = _copy(base)
                _exist_parts(p)[part].path[j].hash = NO_HASH
                _rejected(spec, exist, root, p, key, value)
                # Drop the step.
                p = _copy(base)
                del _exist_parts(p)[part].path[j]
                _rejected(spec, exist, root, p, key, value)
                total += 2
            # No leaf at all.
            p = _copy(base)
            _exist_parts(p)[part].leaf = None
            assert _rejected(spec, exist, root, p, key, value) == "ics23_leaf_missing", name
            total += 1
    assert total > 1000, total


def test_vectors_nonexist_missing_neighbour_rejected():
    for name, spec, exist, key, value, root, proof in _vectors():
        if exist:
            continue
        base = decode_commitment_proof(proof)
        if base.left is not None and base.right is not None:
            # Drop one neighbour: the other is then not the left-most / right-most leaf.
            p = _copy(base)
            p.left = None
            assert _rejected(spec, exist, root, p, key, b"") == "ics23_not_left_most", name
            p = _copy(base)
            p.right = None
            assert _rejected(spec, exist, root, p, key, b"") == "ics23_not_right_most", name
        p = _copy(base)
        p.left = None
        p.right = None
        assert _rejected(spec, exist, root, p, key, b"") == "ics23_nonexist_empty", name


def _four_leaf_tree():
    """A CometBFT simple Merkle tree of four keys (TendermintSpec), built by hand: the root and
    one existence proof per key."""
    import hashlib
    spec = TENDERMINT_SPEC
    keys = [b"b", b"d", b"f", b"h"]
    leaves = [ics23.apply_leaf(spec.leaf_spec, k, b"value_" + k) for k in keys]

    def node(a, b):
        return hashlib.sha256(b"\x01" + a + b).digest()

    n01, n23 = node(leaves[0], leaves[1]), node(leaves[2], leaves[3])
    root = node(n01, n23)
    paths = (
        [(b"\x01", leaves[1]), (b"\x01", n23)],
        [(b"\x01" + leaves[0], b""), (b"\x01", n23)],
        [(b"\x01", leaves[3]), (b"\x01" + n01, b"")],
        [(b"\x01" + leaves[2], b""), (b"\x01" + n01, b"")],
    )
    proofs = []
    for i in range(4):
        leaf = LeafOp(SHA256, NO_HASH, SHA256, VAR_PROTO, b"\x00")
        path = [InnerOp(SHA256, pre, suf) for pre, suf in paths[i]]
        proofs.append(ExistenceProof(keys[i], b"value_" + keys[i], leaf, path))
    return spec, root, proofs


def test_hand_built_tree_neighbours():
    spec, root, ex = _four_leaf_tree()
    for e in ex:
        assert ics23.verify_membership(spec, root, e, e.key, e.value) is True
    nonmem = ics23.verify_non_membership
    N = NonExistenceProof
    # Adjacent pairs (also across the two subtrees), and the two ends.
    assert nonmem(spec, root, N(b"c", ex[0], ex[1]), b"c") is True
    assert nonmem(spec, root, N(b"e", ex[1], ex[2]), b"e") is True
    assert nonmem(spec, root, N(b"g", ex[2], ex[3]), b"g") is True
    assert nonmem(spec, root, N(b"a", None, ex[0]), b"a") is True
    assert nonmem(spec, root, N(b"z", ex[3], None), b"z") is True
    # Genuine leaves of the tree that are not neighbours: "d" and "f" do exist.
    for left, right, key in ((0, 2, b"d"), (0, 3, b"f"), (1, 3, b"f"), (0, 2, b"c")):
        e = dual.raises(ProofError, nonmem, spec, root, N(key, ex[left], ex[right]), key)
        assert e.check == "ics23_not_neighbors", (left, right, e.check)
    # Neighbours given in the wrong order.
    e = dual.raises(ProofError, nonmem, spec, root, N(b"e", ex[2], ex[1]), b"e")
    assert e.check == "ics23_key_not_left_of_right"
    # One side missing: the other must be the left-most / right-most leaf.
    for i in (1, 2, 3):
        e = dual.raises(ProofError, nonmem, spec, root, N(b"a", None, ex[i]), b"a")
        assert e.check == "ics23_not_left_most", i
    for i in (0, 1, 2):
        e = dual.raises(ProofError, nonmem, spec, root, N(b"z", ex[i], None), b"z")
        assert e.check == "ics23_not_right_most", i
    # The same leaf on both sides.
    e = dual.raises(ProofError, nonmem, spec, root, N(b"c", ex[0], ex[0]), b"c")
    assert e.check == "ics23_key_not_left_of_right"


def _nonexist_key_span(proof):
    """Byte range of NonExistenceProof.key in an encoded nonexist CommitmentProof: the reference
    does not use that field, so flipping it changes nothing."""
    from lightclient.chip.core import proto
    _, pos = proto.read_uvarint(proof, 1, len(proof))  # tag 0x12, then the body length
    if proof[pos] != 0x0A:
        return (0, 0)
    n, start = proto.read_uvarint(proof, pos + 1, len(proof))
    return (pos, start + n)


def _raw_byte_flips(folder):
    # Flip each byte of the encoded proof: every flip is rejected with a typed error, never a
    # crash. (One spec per test function: the WebAssembly port collects garbage only between
    # calls.)
    # On WebAssembly every 4th byte, from a start that moves with each proof (dual.sweep_stride).
    step = dual.sweep_stride(4)
    flips = 0
    for n, (name, spec, exist, key, value, root, proof) in enumerate(_vectors()):
        if not name.startswith(folder + "/"):
            continue
        lo, hi = (0, 0) if exist else _nonexist_key_span(proof)
        for i in range(n % step, len(proof), step):
            if lo <= i < hi:
                continue
            check = _rejected(spec, exist, root, _flip(proof, i), key, value)
            assert check.startswith("ics23_") or check.startswith("proto_"), (name, i, check)
            flips += 1
    assert flips > 3000 // step, flips


def test_raw_byte_flips_rejected_iavl():
    _raw_byte_flips("iavl")


def test_raw_byte_flips_rejected_tendermint():
    _raw_byte_flips("tendermint")


def test_raw_byte_flips_rejected_smt():
    _raw_byte_flips("smt")


def test_vectors_truncated_rejected():
    for name, spec, exist, key, value, root, proof in _vectors():
        for n in (0, 1, 2, len(proof) // 3, len(proof) // 2, len(proof) - 1):
            _rejected(spec, exist, root, proof[:n], key, value)


# --- decoding limits and unsupported proof kinds --------------------------------------------

def _sha_leaf():
    return LeafOp(SHA256, NO_HASH, SHA256, VAR_PROTO, b"\x00")


def test_decode_rejects_garbage_and_bounds():
    from lightclient.chip.core import proto
    for bad in (b"", b"\x00", b"\xff\xff", b"\x0a\x05abc", b"\x0b\x00"):
        dual.raises(DecodeError, decode_commitment_proof, bad)
    e = dual.raises(DecodeError, decode_commitment_proof, "0a00")
    assert e.check == "ics23_proof_type"
    e = dual.raises(DecodeError, decode_commitment_proof, b"")
    assert e.check == "ics23_proof_empty"
    big = proto.message_field(1, proto.bytes_field(2, b"v" * MAX_PROOF_BYTES))
    e = dual.raises(DecodeError, decode_commitment_proof, big)
    assert e.check == "ics23_proof_too_large"
    long_key = encode_commitment_proof(
        ExistenceProof(b"k" * (MAX_KEY_LEN + 1), b"v", _sha_leaf()))
    e = dual.raises(DecodeError, decode_commitment_proof, long_key)
    assert e.check == "ics23_key_too_long"
    deep = ExistenceProof(b"k", b"v", _sha_leaf(),
                                [InnerOp(SHA256, b"\x01", b"")] *
                                (MAX_PATH_DEPTH + 1))
    e = dual.raises(DecodeError, decode_commitment_proof,
                    encode_commitment_proof(deep))
    assert e.check == "ics23_path_too_long"
    # Two members of the oneof at once.
    ex = encode_existence_proof(ExistenceProof(b"k", b"v", _sha_leaf()))
    both = proto.message_field(1, ex) + proto.message_field(2, b"")
    e = dual.raises(DecodeError, decode_commitment_proof, both)
    assert e.check == "ics23_proof_oneof"


def test_batch_and_compressed():
    from lightclient.chip.core import proto
    for name, spec, exist, key, value, root, proof in _vectors():
        inner = decode_commitment_proof(proof)
        body = (encode_existence_proof(inner) if exist
                else encode_non_existence_proof(inner))
        entry = proto.message_field(1 if exist else 2, body)
        one = proto.message_field(3, proto.message_field(1, entry))
        # A batch of one entry is that entry.
        assert _verify(spec, exist, root, one, key, value) is True, name
        two = proto.message_field(3, proto.message_field(1, entry) + proto.message_field(1, entry))
        e = dual.raises(ProofError, _verify, spec, exist, root, two, key, value)
        assert e.check == "ics23_unsupported_proof"
        compressed = proto.message_field(4, proto.message_field(1, entry))
        e = dual.raises(ProofError, _verify, spec, exist, root, compressed, key, value)
        assert e.check == "ics23_unsupported_proof"


def test_unsupported_hash_in_a_proof():
    # A spec (and proof) that uses SHA-512 for the leaf: well-formed, but we cannot hash it.
    spec = ProofSpec(
        leaf_spec=LeafOp(SHA512, NO_HASH, NO_HASH, NO_PREFIX, b""),
        inner_spec=InnerSpec((0, 1), 64, 1, 1, b"", SHA512))
    p = ExistenceProof(b"k", b"v", LeafOp(SHA512))
    e = dual.raises(ProofError, ics23.verify_membership, spec, bytes(64), p, b"k", b"v")
    assert e.check == "ics23_unsupported_hash" and e.details["hash_op"] == SHA512


def test_arguments_must_be_bytes():
    d = dual.load_json("ics23/iavl/exist_left.json")
    key, value = bytes.fromhex(d["key"]), bytes.fromhex(d["value"])
    root, proof = bytes.fromhex(d["root"]), bytes.fromhex(d["proof"])
    for args in ((d["root"], proof, key, value), (root, proof, d["key"], value),
                 (root, proof, key, None)):
        e = dual.raises(DecodeError, ics23.verify_membership, IAVL_SPEC, *args)
        assert e.check == "ics23_argument_type"
    assert ics23.verify_membership(IAVL_SPEC, bytearray(root), bytearray(proof),
                                   bytearray(key), bytearray(value)) is True


def test_errors_name_the_side_of_a_nonexist_proof():
    d = dual.load_json("ics23/tendermint/nonexist_middle.json")
    p = decode_commitment_proof(bytes.fromhex(d["proof"]))
    p.right.value = p.right.value + b"!"
    e = dual.raises(ProofError, ics23.verify_non_membership, TENDERMINT_SPEC,
                    bytes.fromhex(d["root"]), p, bytes.fromhex(d["key"]))
    assert e.check == "ics23_root_mismatch" and e.details["side"] == "right"
    assert isinstance(e, LightClientError)


# --- the Test*Data.json files ---------------------------------------------------------------

def _leaf(j):
    return LeafOp(j.get("hash", 0), j.get("prehash_key", 0), j.get("prehash_value", 0),
                        j.get("length", 0), _b64(j.get("prefix")))


def _inner(j):
    return InnerOp(j.get("hash", 0), _b64(j.get("prefix")), _b64(j.get("suffix")))


def _exist(j):
    leaf = _leaf(j["leaf"]) if j.get("leaf") is not None else None
    return ExistenceProof(_b64(j.get("key")), _b64(j.get("value")), leaf,
                                [_inner(x) for x in j.get("path") or []])


def _spec(j):
    i = j.get("inner_spec")
    inner = None
    if i is not None:
        inner = InnerSpec(i.get("child_order", []), i.get("child_size", 0),
                                i.get("min_prefix_length", 0), i.get("max_prefix_length", 0),
                                _b64(i.get("empty_child")), i.get("hash", 0))
    leaf = _leaf(j["leaf_spec"]) if j.get("leaf_spec") is not None else None
    return ProofSpec(leaf, inner, j.get("max_depth", 0), j.get("min_depth", 0),
                           j.get("prehash_key_before_comparison", False))


# Hash ops the reference supports and we do not (MicroPython has only SHA-256): the cases that
# use them must fail with this error, and are counted separately.
UNSUPPORTED = "ics23_unsupported_hash"


def test_leaf_op_data():
    cases = dual.load_json("ics23/TestLeafOpData.json")
    ok = err = unsupported = 0
    for name in sorted(cases):
        c = cases[name]
        op = _leaf(c["Op"])
        if op.hash != SHA256:
            e = dual.raises(ProofError, ics23.apply_leaf, op, _b64(c["Key"]), _b64(c["Value"]))
            assert e.check == UNSUPPORTED, name
            unsupported += 1
        elif c["IsErr"]:
            e = dual.raises(ProofError, ics23.apply_leaf, op, _b64(c["Key"]), _b64(c["Value"]))
            assert e.check in ("ics23_leaf_key_empty", "ics23_leaf_value_empty"), name
            err += 1
        else:
            assert ics23.apply_leaf(op, _b64(c["Key"]), _b64(c["Value"])) == _b64(c["Expected"]), \
                name
            ok += 1
    assert (ok, err, unsupported) == (8, 2, 1), (ok, err, unsupported)


def test_inner_op_data():
    cases = dual.load_json("ics23/TestInnerOpData.json")
    ok = err = 0
    for name in sorted(cases):
        c = cases[name]
        if c["IsErr"]:
            e = dual.raises(ProofError, ics23.apply_inner, _inner(c["Op"]), _b64(c["Child"]))
            assert e.check == "ics23_inner_child_empty", name
            err += 1
        else:
            assert ics23.apply_inner(_inner(c["Op"]), _b64(c["Child"])) == _b64(c["Expected"]), \
                name
            ok += 1
    assert (ok, err) == (3, 1)


def test_do_hash_data():
    cases = dual.load_json("ics23/TestDoHashData.json")
    supported = []
    unsupported = []
    for name in sorted(cases):
        c = cases[name]
        pre = (c.get("Preimage") or c.get("PreImage")).encode()
        if c["HashOp"] == SHA256:
            assert ics23.do_hash(c["HashOp"], pre).hex() == c["ExpectedHash"], name
            supported.append(name)
        else:
            e = dual.raises(ProofError, ics23.do_hash, c["HashOp"], pre)
            assert e.check == UNSUPPORTED and e.details["hash_op"] == c["HashOp"], name
            unsupported.append(name)
    assert supported == ["sha256"]
    assert unsupported == ["bitcoin", "blake2b", "blake2s", "ripemd160", "sha512", "sha512_256"]
    # NO_HASH is no hash: fine as a prehash (identity), an error where a digest is needed.
    assert ics23.do_hash_or_noop(NO_HASH, b"food") == b"food"
    assert dual.raises(ProofError, ics23.do_hash, NO_HASH, b"food").check == UNSUPPORTED


def test_length_ops():
    assert ics23.do_length_op(NO_PREFIX, b"food") == b"food"
    assert ics23.do_length_op(VAR_PROTO, b"food") == b"\x04food"
    assert ics23.do_length_op(VAR_PROTO, b"x" * 300)[:2] == b"\xac\x02"
    assert ics23.do_length_op(FIXED32_LITTLE, b"food") == b"\x04\x00\x00\x00food"
    assert ics23.do_length_op(REQUIRE_32_BYTES, bytes(32)) == bytes(32)
    e = dual.raises(ProofError, ics23.do_length_op, REQUIRE_32_BYTES, bytes(31))
    assert e.check == "ics23_length_required"
    e = dual.raises(ProofError, ics23.do_length_op, REQUIRE_64_BYTES, bytes(32))
    assert e.check == "ics23_length_required"
    assert ics23.do_length_op(REQUIRE_64_BYTES, bytes(64)) == bytes(64)
    for op in (VAR_RLP, 9, 99):
        e = dual.raises(ProofError, ics23.do_length_op, op, b"food")
        assert e.check == "ics23_unsupported_length"


def test_existence_proof_data():
    cases = dual.load_json("ics23/TestExistenceProofData.json")
    ok = err = 0
    for name in sorted(cases):
        c = cases[name]
        p = _exist(c["Proof"])
        if c["IsErr"]:
            e = dual.raises(ProofError, ics23.calculate_existence_root, p)
            assert e.check == "ics23_leaf_missing", name
            err += 1
        else:
            assert ics23.calculate_existence_root(p) == _b64(c["Expected"]), name
            ok += 1
    assert (ok, err) == (4, 2)


def test_check_leaf_data():
    cases = dual.load_json("ics23/TestCheckLeafData.json")
    ok = err = 0
    for name in sorted(cases):
        c = cases[name]
        spec = ProofSpec(leaf_spec=_leaf(c["Spec"]))
        if c["IsErr"]:
            e = dual.raises(ProofError, ics23.check_leaf_op, _leaf(c["Leaf"]), spec)
            assert e.check in ("ics23_leaf_hash", "ics23_leaf_prehash_key",
                               "ics23_leaf_prehash_value", "ics23_leaf_length",
                               "ics23_leaf_prefix"), (name, e.check)
            err += 1
        else:
            assert ics23.check_leaf_op(_leaf(c["Leaf"]), spec) is True, name
            ok += 1
    assert (ok, err) == (3, 7)


# The reference's error text for each case, and the check that names the same rule here.
CHECK_AGAINST_SPEC_ERRORS = {
    "existence Proof needs defined LeafOp": ("ics23_leaf_missing", {}),
    "innerOps depth too short: 1": ("ics23_depth_too_short", {"depth": 1}),
    "innerOps depth too long: 5": ("ics23_depth_too_long", {"depth": 5}),
    "innerOps depth too long: 129": ("ics23_depth_too_long", {"depth": 129, "max": 128}),
    "inner, unexpected HashOp: 2": ("ics23_inner_hash", {"got": 2}),
    "inner, unexpected HashOp: 0": ("ics23_inner_hash", {"got": 0}),
    "leaf, unexpected PrehashValue: 0": ("ics23_leaf_prehash_value", {"got": 0}),
    "inner, IAVL height (0) must be non-negative and greater than or equal to the layer number "
    "(3)": ("ics23_iavl_height", {"height": 0, "layer": 3}),
}


def test_check_against_spec_data():
    cases = dual.load_json("ics23/TestCheckAgainstSpecData.json")
    ok = err = 0
    for name in sorted(cases):
        c = cases[name]
        p, spec = _exist(c["Proof"]), _spec(c["Spec"])
        if c["Err"] == "":
            assert ics23.check_existence_spec(p, spec) is True, name
            ok += 1
        else:
            check, details = CHECK_AGAINST_SPEC_ERRORS[c["Err"]]
            e = dual.raises(ProofError, ics23.check_existence_spec, p, spec)
            assert e.check == check, (name, e.check)
            for k in details:
                assert e.details[k] == details[k], (name, k, e.details)
            err += 1
    assert (ok, err) == (3, 8)


def test_empty_branch_data():
    cases = dual.load_json("ics23/TestEmptyBranchData.json")
    lefts = rights = 0
    for i in range(len(cases)):
        c = cases[i]
        op, spec = _inner(c["Op"]), _spec(c["Spec"])
        assert ics23.check_inner_op(op, spec, 1) is True, i
        assert ics23.left_branches_are_empty(spec.inner_spec, op) == c["IsLeft"], i
        assert ics23.right_branches_are_empty(spec.inner_spec, op) == c["IsRight"], i
        lefts += c["IsLeft"]
        rights += c["IsRight"]
    assert (len(cases), lefts, rights) == (8, 1, 1)


# --- inner op and IAVL op rules, one at a time ----------------------------------------------

def test_inner_op_rules():
    spec = TENDERMINT_SPEC
    ok = InnerOp(SHA256, b"\x01", bytes(32))
    assert ics23.check_inner_op(ok, spec, 1) is True
    assert ics23.check_inner_op(InnerOp(SHA256, b"\x01" + bytes(32)), spec, 1)
    cases = (
        (InnerOp(SHA512, b"\x01", bytes(32)), "ics23_inner_hash"),
        (InnerOp(SHA256, b"\x00\x01", bytes(32)), "ics23_inner_leaf_prefix"),
        (InnerOp(SHA256, b"", bytes(32)), "ics23_inner_prefix_too_short"),
        (InnerOp(SHA256, b"\x01" + bytes(33)), "ics23_inner_prefix_too_long"),
        (InnerOp(SHA256, b"\x01", bytes(31)), "ics23_inner_suffix"),
    )
    for op, check in cases:
        assert dual.raises(ProofError, ics23.check_inner_op, op, spec, 1).check == check


def test_spec_sanity():
    good = TENDERMINT_SPEC
    op = InnerOp(SHA256, b"\x01", bytes(32))
    for inner in (InnerSpec((0, 1), 0, 1, 1, b"", SHA256),
                  InnerSpec((0, 1), 32, 1, 33, b"", SHA256),
                  InnerSpec((0, 2), 32, 1, 1, b"", SHA256),
                  InnerSpec((0,), 32, 1, 1, b"", SHA256)):
        spec = ProofSpec(good.leaf_spec, inner)
        assert dual.raises(ProofError, ics23.check_inner_op, op, spec, 1).check == \
            "ics23_spec_invalid"
    e = dual.raises(ProofError, ics23.check_inner_op, op, ProofSpec(good.leaf_spec), 1)
    assert e.check == "ics23_spec_invalid"


def _zz(n):
    from lightclient.chip.core import proto
    return proto.uvarint((n << 1) ^ (n >> 63) if n >= 0 else ((-n) << 1) - 1)


def test_iavl_op_rules():
    # prefix = height, size, version (zig-zag varints), then 1 or 34 bytes on inner ops.
    child = b"\x20" + bytes(32) + b"\x20"
    assert ics23.validate_iavl_op(LeafOp(prefix=b"\x00\x02\x04"), 0) is None
    assert ics23.validate_iavl_op(InnerOp(SHA256, _zz(1) + _zz(2) + _zz(3) + b"\x20"),
                                  1) is None
    assert ics23.validate_iavl_op(InnerOp(SHA256, _zz(5) + _zz(2) + _zz(3) + child),
                                  5) is None
    cases = (
        (LeafOp(prefix=_zz(-1) + _zz(1) + _zz(1)), 0, "ics23_iavl_height"),
        (LeafOp(prefix=_zz(0) + _zz(-1) + _zz(1)), 0, "ics23_iavl_size"),
        (LeafOp(prefix=_zz(0) + _zz(1) + _zz(-7)), 0, "ics23_iavl_version"),
        (LeafOp(prefix=_zz(0) + _zz(1) + _zz(1) + b"\x00"), 0, "ics23_iavl_prefix_length"),
        (LeafOp(prefix=_zz(0) + _zz(1)), 0, "ics23_iavl_varint"),
        (LeafOp(prefix=b"\x00\x02\xff"), 0, "ics23_iavl_varint"),
        (InnerOp(SHA256, _zz(1) + _zz(2) + _zz(3) + b"\x20"), 2, "ics23_iavl_height"),
        (InnerOp(SHA256, _zz(1) + _zz(2) + _zz(3) + b"\x20\x20"), 1,
         "ics23_iavl_prefix_length"),
        (InnerOp(SHA256, _zz(1) + _zz(2) + _zz(3)), 1, "ics23_iavl_prefix_length"),
        (InnerOp(SHA512, _zz(1) + _zz(2) + _zz(3) + b"\x20"), 1, "ics23_iavl_hash"),
    )
    for op, layer, check in cases:
        e = dual.raises(ProofError, ics23.validate_iavl_op, op, layer)
        assert e.check == check, (check, e.check)
