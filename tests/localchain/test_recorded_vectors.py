"""A real answer of the local chain, recorded once (vectors/device_record_proof.json): our
decoders read CometBFT 0.38's /commit and /validators as they are, and the x/devices record and
an absent key verify through the real IAVL store and multistore to the recorded app_hash."""

import json
import os

import pytest

from lightclient import native
from lightclient.chip.core import proof_chain, rpcjson
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import verify_commit_full
from lightclient.localchain import devicetx
from lightclient.records import parse_proof_ops

with open(os.path.join(os.path.dirname(__file__), "vectors", "device_record_proof.json")) as f:
    V = json.load(f)


def _verified_header():
    sh = rpcjson.signed_header_from_json(V["commit"]["signed_header"])
    vals = rpcjson.validator_set_from_json(V["validators"])
    signed, total, _ = verify_commit_full(V["chain_id"], sh, vals, CachingChecker(native.verify))
    assert sh.header.height == V["height"] + 1 and 3 * signed > 2 * total
    return sh.header


def test_recorded_record_and_absence_verify_against_the_app_hash():
    app_hash = _verified_header().app_hash
    key, absent = bytes.fromhex(V["key"]), bytes.fromhex(V["absent_key"])
    resp = V["abci_query"]["response"]
    value = devicetx.b64(resp["value"])
    assert proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), app_hash,
                                             [b"devices", key], value)
    record = devicetx.decode_device(value)
    assert record["pub_key"].hex() == V["device_pub_key"] and record["version"] == 1
    assert key == devicetx.device_key(devicetx.account_address(record["pub_key"]))
    resp = V["abci_query_absent"]["response"]
    assert resp["value"] is None
    assert proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), app_hash,
                                             [b"devices", absent], None)


def test_recorded_proof_refuses_another_value_key_or_root():
    app_hash = _verified_header().app_hash
    resp = V["abci_query"]["response"]
    ops, key, value = parse_proof_ops(resp), bytes.fromhex(V["key"]), devicetx.b64(resp["value"])
    for args in ((app_hash, [b"devices", key], value + b"\x00"),
                 (app_hash, [b"bank", key], value),
                 (app_hash, [b"devices", bytes.fromhex(V["absent_key"])], value),
                 (bytes(32), [b"devices", key], value)):
        with pytest.raises(LightClientError):
            proof_chain.verify_abci_proof_ops(ops, *args)
