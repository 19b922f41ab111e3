# RFC 6962 Merkle hashing (CometBFT crypto/merkle) against transparency-dev's public vectors.
import binascii
import os

import dual
from lightclient.chip.core import merkle
from lightclient.chip.core.errors import ProofError


def _b64(s):
    return binascii.a2b_base64(s.encode())


def test_reference_tree_roots():
    ref = dual.load_json("rfc6962/reference-tree.json")
    leaves = [bytes.fromhex(x) for x in ref["leaf_inputs_hex"]]
    for size, want in enumerate(ref["root_by_tree_size_hex"]):
        assert merkle.hash_from_byte_slices(leaves[:size]).hex() == want, size



def test_the_tree_in_one_call_equals_the_python_tree():
    # On the chip's native image hash_from_byte_slices is lccrypto.merkle_root (C); the Python
    # tree stays for the WebAssembly build: both give the same root for every shape, item
    # lengths from empty to several blocks, bytes, bytearray and memoryview items alike.
    items = [bytes([i]) * (i * 7 % 150) for i in range(40)]
    for n in list(range(0, 20)) + [31, 32, 33, 40]:
        assert merkle.hash_from_byte_slices(items[:n]) == merkle.hash_from_byte_slices_py(items[:n])
    mixed = (items[3], bytearray(items[5]), memoryview(items[9]), items[0])
    assert merkle.hash_from_byte_slices(mixed) == merkle.hash_from_byte_slices_py(
        [bytes(x) for x in mixed])
    assert merkle.leaf_hash(b"abc") == merkle.sha256(b"\x00abc")
    assert merkle.inner_hash(b"l" * 32, b"r" * 32) == merkle.sha256(b"\x01" + b"l" * 32 + b"r" * 32)
    dual.raises(TypeError, merkle.hash_from_byte_slices, [b"a", 5])

def _inclusion_cases(rel="rfc6962/inclusion"):
    # Walk the vector tree by hand: MicroPython has no os.walk.
    for name in sorted(os.listdir(dual.vector_path(rel))):
        sub = rel + "/" + name
        if name.endswith(".json"):
            yield sub, dual.load_json(sub)
        else:
            for case in _inclusion_cases(sub):
                yield case


def test_inclusion_vectors():
    happy = rejected = 0
    for name, c in _inclusion_cases():
        proof = [_b64(p) for p in (c["proof"] or [])]
        try:
            merkle.verify_inclusion(c["leafIdx"], c["treeSize"], _b64(c["leafHash"]), proof,
                                    _b64(c["root"]))
            ok = True
        except ProofError:
            ok = False
        assert ok == (not c["wantErr"]), name
        if ok:
            happy += 1
        else:
            rejected += 1
    assert happy >= 6 and rejected >= 40, (happy, rejected)


def test_inclusion_every_leaf_of_every_small_tree():
    leaves = [bytes([i]) * (i + 1) for i in range(13)]
    for size in range(1, 14):
        root = merkle.hash_from_byte_slices(leaves[:size])
        for idx in range(size):
            proof = _prove(leaves[:size], idx)
            assert merkle.verify_inclusion(idx, size, merkle.leaf_hash(leaves[idx]), proof, root)
            if proof:
                bad = proof[:-1]
                dual.raises(ProofError, merkle.verify_inclusion, idx, size,
                            merkle.leaf_hash(leaves[idx]), bad, root)


def _prove(items, idx):
    """Audit path per RFC 6962 §2.1.1, the reference for the verifier above."""
    n = len(items)
    if n <= 1:
        return []
    k = merkle._split_point(n)
    if idx < k:
        return _prove(items[:k], idx) + [merkle.hash_from_byte_slices(items[k:])]
    return _prove(items[k:], idx - k) + [merkle.hash_from_byte_slices(items[:k])]


def test_bad_proof_shapes():
    leaf = merkle.leaf_hash(b"x")
    dual.raises(ProofError, merkle.verify_inclusion, 1, 1, leaf, [], leaf)
    dual.raises(ProofError, merkle.verify_inclusion, 0, 2, leaf, [b"short"], leaf)
    dual.raises(ProofError, merkle.verify_inclusion, 0, 1, leaf, [leaf], leaf)
