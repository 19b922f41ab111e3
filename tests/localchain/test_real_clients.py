"""Real clients of the ecosystem read the local chain and agree with what our light client
verified: CosmJS (@cosmjs/tendermint-rpc's Comet38Client, over CometBFT's RPC) and cosmpy (the
SDK's gRPC Tendermint service): status, a block's hash, its validator set, and an x/devices
record (abci_query with a proof; cosmpy's proof is also checked by our verifier)."""

import base64
import hashlib
import json
import os
import subprocess

import bech32
import coincurve
import pytest
from cosmpy.aerial.client import LedgerClient, NetworkConfig
from cosmpy.protos.cosmos.base.tendermint.v1beta1 import query_pb2 as cmt
from cosmpy.protos.cosmos.crypto.ed25519.keys_pb2 import PubKey

from lightclient.chip.core import proof_chain
from lightclient.localchain import devicetx
from lightclient.records import parse_proof_ops
from tests.localchain.verified import Verified

READER = os.path.join(os.path.dirname(__file__), "readers", "cosmjs_read.mjs")
ANCHOR = 1


@pytest.fixture(scope="module")
def verified_record(attacked_chain):
    """A device registered by the owner's transaction; the header after it (which commits its
    state), verified, and the record proven against that header's app_hash."""
    net = attacked_chain
    device = coincurve.PrivateKey(hashlib.sha256(b"real clients test device").digest())
    height = devicetx.register_device(net, "owner", device.secret, b"", node=1)
    net.wait_for_height(height + 2)
    state = Verified(net, 2, ANCHOR).at(height + 1)
    key = devicetx.device_key(devicetx.account_address(device.public_key.format(compressed=True)))
    resp = net.rpc(3).abci_query("/store/devices/key", key, height, prove=True)
    value = devicetx.b64(resp["value"])
    assert proof_chain.verify_abci_proof_ops(parse_proof_ops(resp), state.header.app_hash,
                                             [b"devices", key], value)
    assert devicetx.decode_device(value)["pub_key"] == device.public_key.format(compressed=True)
    return {"net": net, "state": state, "key": key, "value": value, "query_height": height}


def _our_validators(state):
    return [{"address": v.address.hex().upper(), "pub_key": base64.b64encode(v.pub_key).decode(),
             "power": str(v.voting_power)} for v in state.validators.validators]


def test_cosmjs_agrees_with_what_we_verified(verified_record):
    r = verified_record
    net, state = r["net"], r["state"]
    h = state.header.height
    out = subprocess.run(["node", READER, net.nodes[1]["rpc"], str(h), "devices",
                          r["key"].hex(), str(r["query_height"])],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout)
    assert got["status"]["chain_id"] == net.info["chain_id"]
    assert got["status"]["latest_height"] >= h
    assert got["block"]["height"] == h
    assert got["block"]["hash"] == state.header.hash().hex().upper()
    assert got["block"]["app_hash"] == state.header.app_hash.hex().upper()
    assert got["block"]["validators_hash"] == state.header.validators_hash.hex().upper()
    assert [v["algorithm"] for v in got["validators"]] == ["ed25519"] * len(got["validators"])
    assert [{k: v[k] for k in ("address", "pub_key", "power")} for v in got["validators"]] == \
        _our_validators(state)
    assert got["query"]["code"] == 0 and got["query"]["height"] == r["query_height"]
    assert bytes.fromhex(got["query"]["value"]) == r["value"]
    assert got["query"]["proof_ops"] == ["ics23:iavl", "ics23:simple"]


def test_cosmpy_agrees_with_what_we_verified(verified_record):
    r = verified_record
    net, state = r["net"], r["state"]
    h = state.header.height
    ledger = LedgerClient(NetworkConfig(
        chain_id=net.info["chain_id"], url="grpc+http://" + net.nodes[2]["grpc"],
        fee_minimum_gas_price=0, fee_denomination=net.info["denom"],
        staking_denomination=net.info["denom"]))
    assert ledger.query_chain_id() == net.info["chain_id"]
    assert ledger.query_height() >= h
    assert ledger.query_block(h).height == h

    block = ledger.tendermint.GetBlockByHeight(cmt.GetBlockByHeightRequest(height=h))
    assert block.block_id.hash == state.header.hash()
    assert block.block.header.app_hash == state.header.app_hash
    assert block.block.header.validators_hash == state.header.validators_hash

    vals = ledger.tendermint.GetValidatorSetByHeight(
        cmt.GetValidatorSetByHeightRequest(height=h)).validators
    theirs = []
    for v in vals:
        _, data = bech32.bech32_decode(v.address)
        assert v.pub_key.type_url == "/cosmos.crypto.ed25519.PubKey"
        theirs.append({"address": bytes(bech32.convertbits(data, 5, 8, False)).hex().upper(),
                       "pub_key": base64.b64encode(PubKey.FromString(v.pub_key.value).key)
                       .decode(), "power": str(v.voting_power)})
    assert theirs == _our_validators(state)

    q = ledger.tendermint.ABCIQuery(cmt.ABCIQueryRequest(
        path="/store/devices/key", data=r["key"], height=r["query_height"], prove=True))
    assert q.code == 0 and q.height == r["query_height"] and q.value == r["value"]
    # the proof cosmpy got verifies with our verifier against the app_hash we verified
    ops = [(op.type, op.key, op.data) for op in q.proof_ops.ops]
    assert proof_chain.verify_abci_proof_ops(ops, state.header.app_hash, [b"devices", r["key"]],
                                             q.value)
