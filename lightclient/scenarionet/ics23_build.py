# ICS23 proof BUILDER (CPython only; the local test network serves proofs with it, the tests
# check lightclient.chip.core.ics23 against it). Two trees, each over sorted keys:
#
#   SimpleMerkleTree  CometBFT crypto/merkle over key/value pairs, as the Cosmos SDK multistore
#                     commits its stores: leaf = SHA256(0x00 || uvarint(len k) || k ||
#                     uvarint(32) || SHA256(v)), inner = SHA256(0x01 || left || right), split at
#                     the largest power of two below n. Proofs verify under TENDERMINT_SPEC.
#   IavlTree          an IAVL-shaped tree (every node hashed as IAVL hashes it: zig-zag height,
#                     size, version, then length-prefixed key / value hash or child hashes).
#                     Balanced by splitting in the middle rather than by AVL insertion, which the
#                     hash does not see. Proofs verify under IAVL_SPEC.
#
# abci_proof_ops() puts both together as Cosmos SDK `abci_query` (prove=true) returns them.

import bisect
import hashlib

from lightclient.chip.core import ics23, proto
from lightclient.chip.core import ics23_types


def _sha256(b):
    return hashlib.sha256(b).digest()


def _zigzag(n):
    return proto.uvarint((n << 1) if n >= 0 else ((-n) << 1) - 1)


def _as_bytes(k):
    return k.encode() if isinstance(k, str) else bytes(k)


class _Tree:
    """Sorted key/value pairs, a root, and an existence proof per key (paths leaf to root).

    Only the leaf hashes are kept; a proof re-walks the tree (O(n) hashing, O(log n) depth), so
    a tree of 10^6 keys fits in memory and the local network can prove any key on demand."""

    LEAF_OP = None

    def __init__(self, items):
        pairs = sorted((_as_bytes(k), bytes(v)) for k, v in dict(items).items())
        if not pairs:
            raise ValueError("a tree needs at least one key")
        for k, v in pairs:
            if not k or not v:
                raise ValueError("keys and values must be non-empty")
        self.keys = [k for k, _ in pairs]
        self.values = [v for _, v in pairs]
        leaf = self.leaf_op()
        self._leaves = [ics23.apply_leaf(leaf, k, v) for k, v in pairs]
        self.root = self._walk(0, len(self._leaves), -1)[0]

    def leaf_op(self):
        raise NotImplementedError

    def _split(self, n):
        raise NotImplementedError

    def _node(self, left, right):
        """(hash, op for a child on the left, op for a child on the right) of an inner node;
        left / right are (hash, height, size)."""
        raise NotImplementedError

    def _walk(self, lo, hi, target):
        """(hash, height, size, path of leaf `target` or None) of the subtree over leaves
        lo..hi-1; the path lists inner ops from the leaf up."""
        if hi - lo == 1:
            return self._leaves[lo], 0, 1, ([] if lo == target else None)
        k = lo + self._split(hi - lo)
        left = self._walk(lo, k, target)
        right = self._walk(k, hi, target)
        h, op_left, op_right = self._node(left[:3], right[:3])
        path = None
        if left[3] is not None:
            path = left[3] + [op_left]
        elif right[3] is not None:
            path = right[3] + [op_right]
        return h, max(left[1], right[1]) + 1, left[2] + right[2], path

    def _index(self, key):
        i = bisect.bisect_left(self.keys, key)
        return i if i < len(self.keys) and self.keys[i] == key else -1

    def exist_proof(self, key):
        key = _as_bytes(key)
        i = self._index(key)
        if i < 0:
            raise ValueError("key is absent")
        path = self._walk(0, len(self._leaves), i)[3]
        return ics23_types.ExistenceProof(key, self.values[i], self.leaf_op(), path)

    def nonexist_proof(self, key):
        key = _as_bytes(key)
        if self._index(key) >= 0:
            raise ValueError("key is present")
        i = bisect.bisect_left(self.keys, key)  # keys[i-1] < key < keys[i]
        return ics23_types.NonExistenceProof(
            key,
            self.exist_proof(self.keys[i - 1]) if i > 0 else None,
            self.exist_proof(self.keys[i]) if i < len(self.keys) else None,
        )

    def proof(self, key):
        """Encoded CommitmentProof: existence if key is present, else non-existence."""
        key = _as_bytes(key)
        p = self.exist_proof(key) if self._index(key) >= 0 else self.nonexist_proof(key)
        return ics23_types.encode_commitment_proof(p)


class SimpleMerkleTree(_Tree):
    def leaf_op(self):
        s = ics23_types.TENDERMINT_SPEC.leaf_spec
        return ics23_types.LeafOp(s.hash, s.prehash_key, s.prehash_value, s.length, s.prefix)

    def _split(self, n):
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def _node(self, left, right):
        h = _sha256(b"\x01" + left[0] + right[0])
        return (h, ics23_types.InnerOp(ics23_types.SHA256, b"\x01", right[0]),
                ics23_types.InnerOp(ics23_types.SHA256, b"\x01" + left[0], b""))


class IavlTree(_Tree):
    def __init__(self, items, version=1):
        if version < 1:
            raise ValueError("IAVL versions start at 1")
        self.version = version
        _Tree.__init__(self, items)

    def leaf_op(self):
        s = ics23_types.IAVL_SPEC.leaf_spec
        prefix = b"\x00" + _zigzag(1) + _zigzag(self.version)  # height 0, size 1, version
        return ics23_types.LeafOp(s.hash, s.prehash_key, s.prehash_value, s.length, prefix)

    def _split(self, n):
        return (n + 1) // 2

    def _node(self, left, right):
        height = max(left[1], right[1]) + 1
        head = _zigzag(height) + _zigzag(left[2] + right[2]) + _zigzag(self.version)
        h = _sha256(head + b"\x20" + left[0] + b"\x20" + right[0])
        return (h, ics23_types.InnerOp(ics23_types.SHA256, head + b"\x20", b"\x20" + right[0]),
                ics23_types.InnerOp(ics23_types.SHA256, head + b"\x20" + left[0] + b"\x20", b""))


def multistore(store_roots):
    """The SDK multistore over {store name: store root hash}; its root is the block's app_hash."""
    return SimpleMerkleTree(store_roots)


def abci_proof_ops(store, stores, store_name, key):
    """proofOps.ops of an `abci_query` for key in store `store_name` (an IavlTree) within the
    multistore `stores` (a SimpleMerkleTree): [(type, key, data)], innermost first."""
    return [
        ("ics23:iavl", _as_bytes(key), store.proof(key)),
        ("ics23:simple", _as_bytes(store_name), stores.proof(store_name)),
    ]
