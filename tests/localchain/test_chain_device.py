"""Our light client against the real chain: headers verified sequentially and by skipping from
the real nodes' /commit and /validators; the owner's registration built and signed by
lightclient.chip.cosmos_tx (not `mycroftd tx sign`), which creates and funds the device's
account; the device's own writes signed with its account key, sequences from verified state;
records, accounts and absences proven with ICS23 through /abci_query."""

import hashlib
import time

import coincurve
import pytest

from lightclient import native, txclient
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proof_chain
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.core.verifier import Options, verify_step, verify_to_height
from lightclient.localchain import devicetx
from lightclient.records import parse_proof_ops

DAY_NS = devicetx.DAY_NS


def _light_block(net, h):
    return net.rpc(0).light_block(h).light_block


_trusted_at_1 = devicetx.trusted_at_1


FUNDING = 5000


def _verified_header(chain, height=None):
    return devicetx.verified_state(chain, height).header


def _client(chain, name_or_secret, node=0):
    """A TxClient for a test-keyring account (by name) or a secret we hold."""
    secret = (devicetx.key_secret(chain.info, name_or_secret)
              if isinstance(name_or_secret, str) else name_or_secret)
    pub = coincurve.PrivateKey(secret).public_key.format(compressed=True)
    return devicetx.tx_client(chain, pub, ct.sign_secp256k1(secret), node)


@pytest.fixture(scope="module")
def registered(chain):
    """A device registered by the owner's SIGN_MODE_DIRECT transaction, built and signed by our
    builder, funding the device; (device secret, height)."""
    device = hashlib.sha256(b"localchain test device").digest()
    owner = _client(chain, "owner")
    owner_addr, owner_pub = devicetx.key_info(chain.info, "owner")
    msg = devicetx.register_device_msg(chain.info["chain_id"], owner_addr, owner_pub, device,
                                       b"", [("stake", FUNDING)])
    [(result, height)] = owner.send([[msg]])
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
    pub = coincurve.PrivateKey(device).public_key.format(compressed=True)
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
    assert record["settings"] == b""      # settings are sealed envelopes (PutSealed) only
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
    device = hashlib.sha256(b"localchain second device").digest()
    _alice, alice_pub = devicetx.key_info(chain.info, "alice")
    bob, _bob_pub = devicetx.key_info(chain.info, "bob")
    # the device signed for alice; bob presents it as his: the statement names another owner
    msg = devicetx.register_device_msg(chain.info["chain_id"], bob, alice_pub, device, b"")
    with pytest.raises(txclient.TxRejected) as e:
        _client(chain, "bob").send([[msg]])
    assert e.value.check == "tx_failed"
    assert e.value.details["codespace"] == "devices" and e.value.details["code"] == 3
    assert "does not verify" in e.value.details["log"]


def _prove(chain, header, store, key):
    return devicetx.prove(chain, header, store, key, node=1)


def test_registration_created_and_funded_the_device_account(chain, registered):
    device, _height = registered
    pub = coincurve.PrivateKey(device).public_key.format(compressed=True)
    header = _verified_header(chain)
    acc = txclient.verified_account(chain.rpc(2), header, ct.account_address(pub))
    assert acc is not None and acc["address"] == ct.bech32_address(pub)
    assert acc["sequence"] == 0 and acc["pub_key"] is None    # it has not signed yet
    # the bank balance (store "bank", key 0x02 || len || address || denom), proven too
    addr = ct.account_address(pub)
    balance = _prove(chain, header, "bank", b"\x02\x14" + addr + b"stake")
    assert balance == str(FUNDING).encode()
    # an account that does not exist is proven absent
    assert txclient.verified_account(chain.rpc(2), header, b"\x42" * 20) is None


def test_transactions_signed_by_the_device_take_sequences_n_n1_n2(chain, registered):
    """(Its own writes are sealed on its chip, test_chain_api_writes.py; this key file's device
    sends bank transfers to take its sequences.)"""
    device, _height = registered
    pub = coincurve.PrivateKey(device).public_key.format(compressed=True)
    me = ct.bech32_address(pub)
    owner_addr, _ = devicetx.key_info(chain.info, "owner")
    client = _client(chain, device, node=3)
    results = client.send([[ct.msg_send(me, owner_addr, [("stake", 1)])] for _ in range(4)])
    assert client.resigned == 0
    last = max(h for _r, h in results)
    chain.wait_for_height(last + 1)
    header = _verified_header(chain, last + 1)
    addr = ct.account_address(pub)
    acc = txclient.verified_account(chain.rpc(0), header, addr)
    assert acc["sequence"] == 4 and acc["pub_key"] == pub


def test_a_stale_sequence_is_re_signed_and_retried(chain, registered):
    device, _height = registered
    pub = coincurve.PrivateKey(device).public_key.format(compressed=True)
    client = _client(chain, device)
    client._refresh()
    client.next_sequence -= 1          # as after a write the queue thought was lost
    owner_addr, _ = devicetx.key_info(chain.info, "owner")
    # an amount no other test sends: the stale-sequence bytes must be new to the mempool cache
    msg = ct.msg_send(ct.bech32_address(pub), owner_addr, [("stake", 3)])
    before = client.next_sequence + 1
    [(_r, height)] = client.send([[msg]])
    assert client.resigned >= 1
    chain.wait_for_height(height + 1)
    acc = txclient.verified_account(chain.rpc(0), _verified_header(chain, height + 1),
                                    ct.account_address(pub))
    assert acc["sequence"] == before + 1


def test_a_write_for_another_device_is_a_typed_rejection(chain, registered):
    """The device's key signs a write naming the owner's address: the SDK refuses the
    signer mismatch in CheckTx, with its codespace, code and log."""
    device, _height = registered
    owner_addr, _ = devicetx.key_info(chain.info, "owner")
    client = _client(chain, device)
    with pytest.raises(txclient.TxRejected) as e:
        client.send([[ct.msg_device_write(owner_addr, "metrics", b"{}")]])
    assert e.value.check == "tx_rejected"
    assert e.value.details["codespace"] == "sdk" and e.value.details["code"] != 0
    assert e.value.details["log"]


def test_a_chip_made_account_is_registered_and_refuses_what_it_may_not_sign(chain, tmp_path):
    """The emulated board (the chip's 32-bit build, lccrypto) makes its account key and consents
    to its registration, which the real chain accepts; over SMP it then refuses to sign a
    plaintext write (an unpaired chip seals nothing) and a message off its allowlist."""
    from lightclient.hwtest.emulator import EmulatedBoard
    from lightclient.mcu import McuClient
    board = EmulatedBoard("esp32-devkitc", tmp_path / "lcstore.img", heap=152 * 1024)
    board.start()
    try:
        with McuClient(board.port) as mcu:
            acct, reg_height = devicetx.register_chip(chain, mcu, "owner")
            chain.wait_for_height(reg_height + 1)     # the header committing the new account
            device = devicetx.tx_client(chain, acct, mcu.sign_tx, node=1)
            # a plaintext write is not even signed (the chip signs a write only around an
            # envelope it sealed itself; the chain would refuse it too, devices 40)
            write = ct.msg_device_write(ct.bech32_address(acct), "skill_settings",
                                        b'[{"skill_gid":"chip"}]')
            with pytest.raises(Exception) as refused:
                device.send([[write]])
            assert getattr(refused.value, "check", "") == "sign_write_plaintext"
            # a refused message type never reaches the line as a signature
            owner_addr, _ = devicetx.key_info(chain.info, "owner")
            with pytest.raises(Exception) as e:
                device.send([[ct.msg_send(ct.bech32_address(acct), owner_addr, [("stake", 1)])]])
            assert getattr(e.value, "check", "") == "sign_tx_type"
    finally:
        board.stop()


def test_the_sdk_itself_signs_the_same_bytes_as_our_builder(chain, registered):
    """`mycroftd tx sign` (the SDK's own SIGN_MODE_DIRECT, RFC 6979) and cosmos_tx give the
    same TxRaw for alice's bank send, account number and sequence read from verified state;
    the chain accepts it."""
    alice, alice_pub = devicetx.key_info(chain.info, "alice")
    bob, _ = devicetx.key_info(chain.info, "bob")
    msg = {"@type": ct.MSG_SEND, "from_address": alice, "to_address": bob,
           "amount": [{"denom": "stake", "amount": "7"}]}
    theirs = devicetx.sign_tx(chain.info, "alice", msg, chain.nodes[0]["rpc"])
    client = _client(chain, "alice")
    client._refresh()
    ours = ct.build([ct.msg_send(alice, bob, [("stake", 7)])], alice_pub, chain.info["chain_id"],
                    client.account_number, client.next_sequence,
                    ct.sign_secp256k1(devicetx.key_secret(chain.info, "alice")),
                    gas_limit=300000)[0]
    assert ours == theirs
    _result, height = devicetx.broadcast_and_wait(chain.rpc(0), ours)
    assert height > 0
