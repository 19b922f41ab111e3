# The Pi's side of the compact update (docs/compact-update.md): light blocks the Pi verified ->
# the bytes the chip decodes and verifies again (update.py). Only what the receiver cannot derive
# is sent, and only the signatures that reach its thresholds. CPython and MicroPython, though the
# chip never encodes: its image does not carry this module.

from lightclient.chip.core import cbor
from lightclient.chip.core import ics23_types
from lightclient.chip.core import types as T
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.core.trusted_at_rest import validators_cbor
from lightclient.chip.core.update import (CBOR_DEPTH, K_PROOFS, K_STEPS, K_VERSION, S_APP_HASH,
                                          S_HEIGHT, S_LAST_BLOCK_HASH, S_LAST_BLOCK_PARTS,
                                          S_NEXT_VALIDATORS, S_PARTS, S_PROPOSER, S_ROUND,
                                          S_SIGNATURES, S_TIME, S_VALIDATORS, S_VERSION,
                                          SIGNATURE_SIZE, STICKY_HASHES, VERSION)

def _encode_error(message, field, **details):
    return DecodeError("update_encode", message, field=field, **details)


def select_signatures(block, trusted_vals, trust_num, trust_den, skipping):
    """Indices of the commit votes to send: the highest-power COMMIT votes (by power, then
    index, as the verifier tallies) until more than 2/3 of the block's validator power; when
    skipping, then more trusted signers (by trusted power) until more than trust_num/trust_den of
    the trusted power. If a threshold cannot be reached, every vote that could count is sent and
    the receiver decides (it will reject)."""
    commit = block.signed_header.commit
    vals = block.validators
    cand = []
    for i in range(commit.size()):
        if commit.flag_at(i) == T.BLOCK_ID_FLAG_COMMIT:
            cand.append((vals.power_at(i), i))
    cand.sort(key=lambda c: (-c[0], c[1]))
    needed = vals.total_power * 2 // 3
    chosen = {}
    tally = 0
    for power, i in cand:
        if tally > needed:
            break
        chosen[i] = True
        tally += power
    if skipping:
        needed_t = trusted_vals.total_power * trust_num // trust_den
        tcand = []
        for power, i in cand:
            j = trusted_vals.index_of(commit.address_at(i))
            if j is not None:
                tcand.append((trusted_vals.power_at(j), i))
        tally_t = 0
        for tp, i in tcand:
            if i in chosen:
                tally_t += tp
        tcand.sort(key=lambda c: (-c[0], c[1]))
        for tp, i in tcand:
            if tally_t > needed_t:
                break
            if i not in chosen:
                chosen[i] = True
                tally_t += tp
    out = list(chosen)
    out.sort()
    return out


def encode_step(block, prev_header, vouching, trust_num=1, trust_den=3, all_signatures=False):
    """The step map for one LightBlock, given the header and validator set the receiver will
    hold before it (see docs/compact-update.md)."""
    h = block.signed_header.header
    commit = block.signed_header.commit
    vals = block.validators
    if h.validators_hash != vals.hash():
        raise _encode_error("validators do not hash to the header's validators_hash",
                            "validators", height=h.height)
    nxt = block.next_validators
    if nxt is None:
        if h.next_validators_hash != vals.hash():
            raise _encode_error("next validators are needed (they differ from validators)",
                                "next_validators", height=h.height)
        nxt = vals
    elif h.next_validators_hash != nxt.hash():
        raise _encode_error("next validators do not hash to next_validators_hash",
                            "next_validators", height=h.height)
    header_hash = h.hash()
    if commit.block_id.hash != header_hash or commit.height != h.height:
        raise _encode_error("commit is not for this header", "commit", height=h.height)
    if h.chain_id != prev_header.chain_id:
        raise _encode_error("header is for another chain", "chain_id", height=h.height)
    if commit.size() != len(vals):
        raise _encode_error("commit and validator set differ in length", "signatures",
                            height=h.height)

    adjacent = h.height == prev_header.height + 1
    m = {S_HEIGHT: h.height, S_TIME: h.time_ns}
    if h.version_block != prev_header.version_block or h.version_app != prev_header.version_app:
        m[S_VERSION] = [h.version_block, h.version_app]
    lb = h.last_block_id
    if not adjacent or lb.hash != prev_header.hash():
        m[S_LAST_BLOCK_HASH] = lb.hash
    m[S_LAST_BLOCK_PARTS] = [lb.part_set_total, lb.part_set_hash]
    for key, attr in STICKY_HASHES:
        if getattr(h, attr) != getattr(prev_header, attr):
            m[key] = getattr(h, attr)
    if h.app_hash != prev_header.app_hash:
        m[S_APP_HASH] = h.app_hash
    if vouching is None or vals.hash() != vouching.hash():
        m[S_VALIDATORS] = validators_cbor(vals)
    if nxt.hash() != vals.hash():
        m[S_NEXT_VALIDATORS] = validators_cbor(nxt)
    found = vals.index_of(h.proposer_address)
    m[S_PROPOSER] = found if found is not None else h.proposer_address
    if commit.round:
        m[S_ROUND] = commit.round
    m[S_PARTS] = [commit.block_id.part_set_total, commit.block_id.part_set_hash]
    if all_signatures:
        idx = [i for i in range(commit.size()) if commit.flag_at(i) != T.BLOCK_ID_FLAG_ABSENT]
    else:
        idx = select_signatures(block, vouching, trust_num, trust_den, not adjacent)
    entries = []
    for i in idx:
        sig = commit.signature_at(i)
        if len(sig) != SIGNATURE_SIZE:
            raise _encode_error("signature is not 64 bytes", "signatures", index=i)
        e = [i, commit.timestamp_at(i) - h.time_ns, sig]
        if commit.flag_at(i) == T.BLOCK_ID_FLAG_NIL:
            e.append(T.BLOCK_ID_FLAG_NIL)
        entries.append(e)
    m[S_SIGNATURES] = entries
    return m, nxt


def encode_update(steps, trusted_state, trust_level=(1, 3), all_signatures=False, proofs=None):
    """Pi side: LightBlocks (in height order, each verifiable from the state the previous one
    leaves) -> compact update bytes for a receiver holding `trusted_state`. trust_level is the
    receiver's (numerator, denominator); it decides how many signatures a skipping step needs.
    all_signatures=True sends every non-absent vote (for audits and tests). proofs:
    [(store name, key, value or None, ops)] with ops the `abci_query` proofOps as
    [(type, key, data)], proving state at the last step's height - 1."""
    prev = trusted_state.header
    vouching = trusted_state.vouching_set()
    out = []
    for block in steps:
        m, nxt = encode_step(block, prev, vouching, trust_level[0], trust_level[1],
                             all_signatures)
        out.append(m)
        prev = block.signed_header.header
        vouching = nxt
    top = {K_VERSION: VERSION, K_STEPS: out}
    for store, key, value, ops in proofs or ():
        if value is not None:
            carried = ics23_types.decode_commitment_proof(ops[0][2])
            if not isinstance(carried, ics23_types.ExistenceProof) or carried.value != bytes(value):
                raise _encode_error("the first op does not prove this value", "proofs",
                                    store=store)
    if proofs:
        top[K_PROOFS] = [[store, bytes(key), None if value is None else True,
                          [[typ, bytes(k), bytes(d)] for typ, k, d in ops]]
                         for store, key, value, ops in proofs]
    return cbor.dumps(top, CBOR_DEPTH)


__all__ = ["encode_update", "encode_step", "select_signatures"]
