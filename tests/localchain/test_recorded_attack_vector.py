"""The real light-client attack evidence, recorded once from the local chain
(vectors/light_client_attack.json, by test_light_client_attack.py with MYCROFT_RECORD_VECTORS=1):
the evidence our client built and submitted, the hash the CometBFT node answered, and the block
that committed it. Offline: our protobuf bytes of the evidence are what that block's verified
header commits to, and our evidence hash is the node's."""

import base64
import copy
import json
import os

from lightclient import evidence_proto, native
from lightclient.chip.core import rpcjson
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import verify_commit_full

with open(os.path.join(os.path.dirname(__file__), "vectors", "light_client_attack.json")) as f:
    V = json.load(f)


def _verified_header():
    sh = rpcjson.signed_header_from_json(V["commit"]["signed_header"])
    vals = rpcjson.validator_set_from_json(V["validators"])
    signed, total, _ = verify_commit_full(sh.header.chain_id, sh, vals,
                                          CachingChecker(native.verify))
    assert 3 * signed > 2 * total
    return sh.header


def test_the_committed_header_pins_our_evidence_bytes():
    header = _verified_header()
    assert header.evidence_hash == evidence_proto.evidence_hash([V["submitted"]])
    assert header.evidence_hash == evidence_proto.evidence_hash(V["block_evidence"])
    # the node serves the evidence back under the same (Go field name) keys we sent
    assert set(V["block_evidence"][0]["value"]) == set(V["submitted"]["value"]) == {
        "ConflictingBlock", "CommonHeight", "ByzantineValidators", "TotalVotingPower",
        "Timestamp"}


def test_any_changed_field_changes_the_committed_hash():
    header = _verified_header()
    for path, value in ((("CommonHeight",), "1"), (("TotalVotingPower",), "1"),
                        (("ByzantineValidators", 0, "proposer_priority"), "7"),
                        (("ConflictingBlock", "validator_set", "proposer", "proposer_priority"),
                         "-3")):
        ev = copy.deepcopy(V["submitted"])
        node = ev["value"]
        for k in path[:-1]:
            node = node[k]
        assert node[path[-1]] != value
        node[path[-1]] = value
        assert evidence_proto.evidence_hash([ev]) != header.evidence_hash, path


def test_our_evidence_hash_is_the_one_the_node_answered():
    assert evidence_proto.evidence_id(V["submitted"]) == base64.b64decode(V["answered_hash"])
    other = copy.deepcopy(V["submitted"])
    other["value"]["CommonHeight"] = str(int(other["value"]["CommonHeight"]) + 1)
    assert evidence_proto.evidence_id(other) != base64.b64decode(V["answered_hash"])
