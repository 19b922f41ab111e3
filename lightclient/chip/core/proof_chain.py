# The Cosmos SDK's proof chain (abci_query with prove=true): a store's ICS23 proof of a key,
# then the multistore's proof of that store's root, up to the block's app_hash (CometBFT
# ProofOperators.Verify with CommitmentOp). Each op is verified by ics23.py; docs/state-proofs.md.
# Shared subset: runs unchanged on CPython and MicroPython.

from lightclient.chip.core import ics23
from lightclient.chip.core.errors import DecodeError, ProofError
from lightclient.chip.core.ics23_types import (MAX_PROOF_OPS, SPECS_BY_OP_TYPE,
                                               decode_commitment_proof)


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
    app_hash = ics23.bytes_arg(app_hash, "app_hash")
    if value is not None:
        value = ics23.bytes_arg(value, "value")
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
        proof = decode_commitment_proof(ics23.bytes_arg(data, "proof op data"))
        steps.append((typ, spec, key, proof))
    # Then the proofs, innermost first.
    arg = value
    for i in range(n):
        typ, spec, key, proof = steps[i]
        try:
            if arg is None:
                root = ics23.calculate_root(proof)
                ics23.verify_non_membership(spec, root, proof, key)
            elif isinstance(proof, ics23.ExistenceProof):
                # the root is the one the proof leads to, computed once (the reference computes
                # it, then recomputes it to compare: the same hashes twice)
                root = ics23.existence_root(proof, spec, key, ics23.bytes_arg(arg, "value"))
            else:
                root = ics23.calculate_root(proof)
                ics23.verify_membership(spec, root, proof, key, arg)
        except ProofError as e:
            e.details["op_index"] = i
            e.details["op_type"] = typ
            raise
        arg = root
    if arg != app_hash:
        raise ProofError("abci_app_hash_mismatch", "proof chain leads to another app hash",
                         expected=app_hash, got=arg)
    return True
