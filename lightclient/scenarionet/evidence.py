"""Light-client-attack evidence as a node receives it (`broadcast_evidence`): checked for
structure and against the node's own chain, and kept once per hash, a bounded number."""

import hashlib
import time

from lightclient.chip import txs as txmod
from lightclient.chip.core import rpcjson
from lightclient.chip.core.errors import LightClientError
from lightclient.scenarionet.chain import format_rfc3339_ns
from lightclient.scenarionet.rpc import hexu, internal, invalid_params

MAX_EVIDENCE = 256  # evidence records a node keeps (each up to a MAX_BODY request)


def evidence_hash(ev):
    return hashlib.sha256(txmod.canonical_json(ev)).digest()


def keep_evidence(records, info):
    """Record evidence once per hash, the latest MAX_EVIDENCE: CometBFT's pool ignores evidence
    it already has (and still answers with its hash), and a client resubmitting must not grow a
    node's memory without bound."""
    if all(r["hash"] != info["hash"] for r in records):
        records.append(info)
        del records[:-MAX_EVIDENCE]



def check_evidence(ev, chain_id, header_at):
    """Structural check of LightClientAttackEvidence JSON and that its conflicting header
    conflicts with our chain at that height. Returns the record kept; raises RPCError."""
    if not isinstance(ev, dict) or ev.get("type") != "tendermint/LightClientAttackEvidence":
        raise invalid_params("evidence: expected {\"type\": \"tendermint/LightClientAttack"
                             "Evidence\", \"value\": ...}")
    val = ev.get("value")
    if not isinstance(val, dict):
        raise invalid_params("evidence.value must be an object")
    try:
        cb = val["ConflictingBlock"]
        sh = rpcjson.signed_header_from_json(cb["signed_header"])
        vset = rpcjson.validator_set_from_json(cb["validator_set"])
        common = int(val["CommonHeight"])
        total = int(val["TotalVotingPower"])
        ts = rpcjson.parse_rfc3339_ns(val["Timestamp"])
        byz = val.get("ByzantineValidators") or []
        if not isinstance(byz, list):
            raise ValueError("ByzantineValidators must be a list")
        for b in byz:
            rpcjson.validator_from_json(b, "ByzantineValidators[]")
    except (KeyError, TypeError, ValueError, LightClientError) as e:
        raise internal("evidence is malformed: %s" % e)
    hd = sh.header
    if hd.chain_id != chain_id:
        raise internal("evidence is for another chain: %s" % hd.chain_id[:60])
    if sh.commit.height != hd.height or sh.commit.block_id.hash != hd.hash():
        raise internal("evidence's commit is not for its header")
    if hd.validators_hash != vset.hash():
        raise internal("evidence's validator set does not match the header's validators_hash")
    if common < 1 or common > hd.height:
        # Below the conflicting height for a lunatic attack, equal to it for an equivocation.
        raise internal("common height %d is not in [1, %d] (the conflicting height)"
                       % (common, hd.height))
    ours = header_at(hd.height)
    if ours is None:
        raise internal("no block at height %d to compare with" % hd.height)
    if ours.hash() == hd.hash():
        raise internal("conflicting header is the same as the block at height %d" % hd.height)
    return {"hash": hexu(evidence_hash(ev)), "height": hd.height, "common_height": common,
            "conflicting_hash": hexu(hd.hash()), "our_hash": hexu(ours.hash()),
            "total_voting_power": total, "timestamp": format_rfc3339_ns(ts),
            "byzantine_validators": len(byz), "received_at": time.time(), "evidence": ev}
