"""Our light client against the real chain: headers verified sequentially and by skipping from
the real nodes' /commit and /validators, and an x/devices record written by a real signed
transaction proven (and another key's absence) with ICS23 through /abci_query."""

import hashlib
import time

import coincurve
import pytest

from lightclient import native
from lightclient.chip.core import proof_chain
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import (Options, TrustedState, verify_commit_full,
                                            verify_step, verify_to_height)
from lightclient.localchain import devicetx
from lightclient.records import parse_proof_ops

DAY_NS = 86400 * 10 ** 9


def _light_block(net, h):
    return net.rpc(0).light_block(h).light_block


def _trusted_at_1(net):
    lb = _light_block(net, 1)
    checker = CachingChecker(native.verify)
    verify_commit_full(lb.signed_header.header.chain_id, lb.signed_header, lb.validators, checker)
    return TrustedState(lb.signed_header.header, None, lb.validators)


@pytest.fixture(scope="module")
def registered(chain):
    """A device registered by the owner's SIGN_MODE_DIRECT transaction; (key, height)."""
    device = coincurve.PrivateKey(hashlib.sha256(b"localchain test device").digest())
    msg = devicetx.register_device_msg(chain.info, "owner", device, b"\x01settings-v1")
    tx = devicetx.sign_tx(chain.info, "owner", msg, chain.nodes[0]["rpc"])
    result, height = devicetx.broadcast_and_wait(chain.rpc(1), tx)
    chain.wait_for_height(height + 1)
    return device, height


def test_sequential_and_skipping_verification_on_real_nodes(chain):
    head = chain.wait_for_height(6)
    options = Options(DAY_NS)
    now = time.time_ns()
    checker = CachingChecker(native.verify)
    state = _trusted_at_1(chain)
    for h in range(2, 6):
        state = verify_step(state, _light_block(chain, h), options, now, checker)
        assert state.header.height == h
    skipped, verified, fetched = verify_to_height(
        _trusted_at_1(chain), head, lambda h: _light_block(chain, h), options, now,
        checker=CachingChecker(native.verify))
    assert skipped.header.height == head
    assert verified == [head]       # one static validator set: the direct skip suffices
    assert skipped.header.app_hash == _light_block(chain, head).signed_header.header.app_hash


def test_device_record_proven_against_verified_app_hash(chain, registered):
    device, height = registered
    pub = device.public_key.format(compressed=True)
    key = devicetx.device_key(devicetx.account_address(pub))
    options = Options(DAY_NS)
    # the state after block `height` is committed by the app_hash of header height+1
    state, _, _ = verify_to_height(_trusted_at_1(chain), height + 1,
                                   lambda h: _light_block(chain, h), options, time.time_ns(),
                                   checker=CachingChecker(native.verify))
    app_hash = state.header.app_hash
    resp = chain.rpc(2).abci_query("/store/%s/key" % devicetx.STORE, key, height, prove=True)
    assert int(resp.get("code", 0)) == 0 and int(resp["height"]) == height
    value = devicetx.b64(resp["value"])
    ops = parse_proof_ops(resp)
    assert proof_chain.verify_abci_proof_ops(ops, app_hash, [devicetx.STORE.encode(), key], value)
    record = devicetx.decode_device(value)
    assert record["pub_key"] == pub and record["version"] == 1
    assert record["settings"] == b"\x01settings-v1"
    assert record["owner"] == devicetx.key_info(chain.info, "owner")[0]

    # a tampered value or another app_hash does not verify
    with pytest.raises(LightClientError):
        proof_chain.verify_abci_proof_ops(ops, app_hash, [b"devices", key], value[:-1] + b"\x02")
    with pytest.raises(LightClientError):
        proof_chain.verify_abci_proof_ops(ops, hashlib.sha256(app_hash).digest(),
                                          [b"devices", key], value)

    # absence of a device that was never registered, proven at the same height
    other = devicetx.device_key(b"\x42" * 20)
    resp = chain.rpc(3).abci_query("/store/devices/key", other, height, prove=True)
    assert not resp.get("value")
    ops = parse_proof_ops(resp)
    assert proof_chain.verify_abci_proof_ops(ops, app_hash, [b"devices", other], None)
    # ... and that absence proof does not pass for the key that exists
    with pytest.raises(LightClientError):
        proof_chain.verify_abci_proof_ops(ops, app_hash, [b"devices", key], None)


def test_registration_with_a_bad_device_signature_is_refused_by_the_chain(chain, registered):
    device = coincurve.PrivateKey(hashlib.sha256(b"localchain second device").digest())
    msg = devicetx.register_device_msg(chain.info, "alice", device, b"")
    # the device signed for alice; bob presents it as his: the statement names another owner
    msg["owner"] = devicetx.key_info(chain.info, "bob")[0]
    tx = devicetx.sign_tx(chain.info, "bob", msg, chain.nodes[0]["rpc"])
    with pytest.raises(LightClientError) as e:
        devicetx.broadcast_and_wait(chain.rpc(0), tx)
    assert e.value.check == "tx_failed"
    assert e.value.details["codespace"] == "devices" and e.value.details["code"] == 3
