# RFC 6962 Merkle trees, as CometBFT's crypto/merkle uses them for header, validator-set and
# commit hashes: leaf = SHA-256(0x00 || item), inner = SHA-256(0x01 || left || right), the split
# at the largest power of two below n, and SHA-256("") for an empty tree.

import hashlib

from lightclient.chip.core.errors import ProofError

_LEAF = b"\x00"
_INNER = b"\x01"


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(item):
    return sha256(_LEAF + item)


def inner_hash(left, right):
    return sha256(_INNER + left + right)


def _split_point(n):
    """Largest power of two strictly below n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def hash_from_byte_slices(items):
    if _root_native is not None:
        return _root_native(items if isinstance(items, (list, tuple)) else list(items))
    return hash_from_byte_slices_py(items)


def hash_from_byte_slices_py(items):
    """The tree in Python: where lccrypto is absent (and the reference the C one is tested
    against)."""
    n = len(items)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hash(items[0])
    k = _split_point(n)
    return inner_hash(hash_from_byte_slices_py(items[:k]), hash_from_byte_slices_py(items[k:]))


# On the chip's native image the same hashes in C (lccrypto, as hashlib is C): one call per
# tree or node instead of a hash object and the joined bytes of every node. The Python above
# stays for the WebAssembly build and CPython; tests/chip32 runs the Merkle tests on both.
try:
    from lccrypto import merkle_inner as inner_hash  # noqa: F811
    from lccrypto import merkle_leaf as leaf_hash  # noqa: F811
    from lccrypto import merkle_root as _root_native
    from lccrypto import sha256  # noqa: F811
except (ImportError, AttributeError):  # no lccrypto, or one without these (a stand-in)
    _root_native = None


def root_from_inclusion_proof(index, size, leaf, proof):
    """Root implied by an inclusion proof (RFC 9162 §2.1.3.2) for the leaf hash at `index` in a
    tree of `size` leaves. Raises ProofError when the proof has the wrong shape."""
    if len(leaf) != 32:
        raise ProofError("merkle_leaf_length", "leaf hash is not 32 bytes", length=len(leaf))
    if index < 0 or index >= size:
        raise ProofError("merkle_index", "leaf index outside the tree", index=index, size=size)
    fn = index
    sn = size - 1
    r = leaf
    for p in proof:
        if len(p) != 32:
            raise ProofError("merkle_aunt_length", "proof hash is not 32 bytes", length=len(p))
        if sn == 0:
            raise ProofError("merkle_proof_length", "proof is longer than the tree is deep",
                             index=index, size=size, length=len(proof))
        if fn & 1 or fn == sn:
            r = inner_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = inner_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("merkle_proof_length", "proof is shorter than the tree is deep",
                         index=index, size=size, length=len(proof))
    return r


def verify_inclusion(index, size, leaf, proof, root):
    if len(root) != 32:
        raise ProofError("merkle_root_length", "root is not 32 bytes", length=len(root))
    got = root_from_inclusion_proof(index, size, leaf, proof)
    if got != root:
        raise ProofError("merkle_root", "proof leads to another root", expected=root, got=got)
    return True
