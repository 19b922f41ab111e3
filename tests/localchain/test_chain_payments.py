"""Payment channels on the real chain (x/payments, docs/payments.md), paid through the chip (the
emulated board: the chip's 32-bit build over its serial link). The owner's one sign-up
transaction registers the chip, grants it a fee allowance (x/feegrant) and opens a first channel
to a provider; the chip signs vouchers within the owner's caps for paid calls; the provider
checks each against the channel proven from verified state before it answers, then redeems;
the chain refuses an old and a forged voucher with their codes; the owner reclaims the rest
after the settle delay, in which a newer voucher still wins. Balances, the allowance and the
channel are proven with ICS23 against headers our light client verified. All on net7."""

import hashlib
import json

import pytest

from lightclient import channels as C
from lightclient import cli
from lightclient import pay as pi
from lightclient import gov, txclient, txpolicy
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core.errors import ProofError
from lightclient.chip.crypto import backend
from lightclient.gov import address_bytes
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.localchain import devicetx
from lightclient.mcu import McuClient
from tests.localchain.chainhelp import client_config

CH = hashlib.sha256(b"payments test channel").digest()[:16]
DEPOSIT = 50000
FEE_LIMIT = 5000
FEE = 200
PRICE = 1000                 # what the provider asks per call
SETTLE_DELAY_S = 10


def _fresh(label):
    secret = hashlib.sha256(label).digest()
    pub = backend.secp256k1_public_key(secret)
    return secret, pub, ct.bech32_address(pub)


OWNER = _fresh(b"payments test owner")
PROVIDER = _fresh(b"payments test provider")


def _header(net):
    return devicetx.verified_state(net).header


def _cli(capsys, net, tmp_path, *args, exit=0):
    """`mycroft-lc pay ARGS --json` in this process with a light client of net -> its JSON
    document (its exit status asserted)."""
    cfg = str(tmp_path / "config.json")
    client_config(net, tmp_path / "state", net.nodes[0]["rpc"], [net.nodes[1]["rpc"]]).save(cfg)
    capsys.readouterr()
    assert cli.main(["pay"] + list(args) + ["--config", cfg, "--json"]) == exit, \
        capsys.readouterr()
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def paid(net7, tmp_path_factory):
    """Owner and provider funded by bob; the chip made, consenting to the owner; the owner's
    sign-up transaction (registration without funding, fee allowance, first channel); the
    owner's caps and signing limits on the chip."""
    net = net7
    secret, owner_pub, owner_addr = OWNER
    bob_secret = devicetx.key_secret(net.info, "bob")
    bob = devicetx.tx_client(net, backend.secp256k1_public_key(bob_secret),
                             ct.sign_secp256k1(bob_secret))
    bob_addr = ct.bech32_address(backend.secp256k1_public_key(bob_secret))
    [(_r, funded)] = bob.send([[ct.msg_send(bob_addr, owner_addr, [("stake", 10 ** 7)]),
                                ct.msg_send(bob_addr, PROVIDER[2], [("stake", 1000)])]])
    net.wait_for_height(funded + 1)
    board = EmulatedBoard("esp32-devkitc", tmp_path_factory.mktemp("pay-board") / "lcstore.img")
    board.start()
    mcu = McuClient(board.port, timeout=10)
    try:
        acct = mcu.generate_account_key()
        device = ct.bech32_address(acct)
        mcu.set_checkpoint(trusted_at_rest.encode_trusted(devicetx.verified_state(net)))
        consent = mcu.sign_registration(net.info["chain_id"], ct.account_address(owner_pub))
        pay = pi.PayClient(mcu)
        spender = pay.spender_key()
        assert spender == acct            # one key: the chain takes it from x/devices
        owner = devicetx.tx_client(net, owner_pub, ct.sign_secp256k1(secret), gas_limit=400000)
        [(_r, signed_up)] = owner.send([C.signup_messages(
            owner_addr, ct.msg_register_device(owner_addr, acct, b"", consent), device, b"",
            PROVIDER[2], CH, ("stake", DEPOSIT), [("stake", FEE_LIMIT)], SETTLE_DELAY_S)])
        net.wait_for_height(signed_up + 1)
        chain = net.info["chain_id"]
        number = txclient.verified_account(net.rpc(0), _header(net),
                                           ct.account_address(acct))["account_number"]
        caps = pi.caps_cbor(1, chain, spender, 5000, 10 ** 6, [(CH, "stt.example", DEPOSIT)],
                            denom="stake", decimals=3, symbol="STAKE")
        assert pay.set_caps(caps, backend.secp256k1_sign(secret, pi.caps_signing_bytes(caps)),
                            owner_pub) == 1
        limits = txpolicy.policy_cbor(1, chain, acct, owner=owner_addr, account_number=number,
                                      max_fee=FEE)
        assert mcu.set_tx_policy(limits, backend.secp256k1_sign(
            secret, txpolicy.signing_bytes(limits)), owner_pub) == 1
        yield {"net": net, "mcu": mcu, "pay": pay, "device": device, "acct": acct,
               "spender": spender, "owner": owner, "chain": chain,
               "provider": C.Provider(PROVIDER[2], chain),
               "provider_tx": devicetx.tx_client(net, PROVIDER[1],
                                                 ct.sign_secp256k1(PROVIDER[0]))}
    finally:
        mcu.close()
        board.stop()


def _chip_sign(p, doc):
    sig, _text = p["mcu"].sign_tx_summary(doc)
    return sig


def test_the_sign_up_grant_lets_a_zero_balance_device_pay_its_fees(paid):
    net, device = paid["net"], paid["device"]
    header = _header(net)
    dev20, owner20 = address_bytes(device), address_bytes(OWNER[2])
    # (its zero balance is not proven here: the absence's right neighbour in x/bank's store can
    # be a denom-index key with an empty value, which ICS23 cannot prove: docs/state-proofs.md)
    grant = C.allowance(net.rpc(0), header, owner20, dev20)
    assert grant["spend_limit"] == [("stake", FEE_LIMIT)] and grant["granter"] == OWNER[2]
    # the device's own vote on a proposal that does not exist: the chip signs it (a write would
    # need a pairing), x/gov refuses it in its block, and its fee is paid all the same
    vote = [gov.msg_vote(1, device, "yes")]
    alone = devicetx.tx_client(net, paid["acct"], lambda d: _chip_sign(paid, d),
                               fee=[("stake", FEE)])
    with pytest.raises(txclient.TxRejected) as e:     # its own balance: nothing to pay with
        alone.send([vote])
    assert e.value.details["codespace"] == "sdk" and e.value.details["code"] == 5
    granted = devicetx.tx_client(net, paid["acct"], lambda d: _chip_sign(paid, d),
                                 fee=[("stake", FEE)], granter=OWNER[2])
    with pytest.raises(txclient.TxRejected) as e:
        granted.send([vote])
    assert e.value.check == "tx_failed" and e.value.details["codespace"] == "gov"
    net.wait_for_height(e.value.details["height"] + 1)
    header = _header(net)
    left = C.allowance(net.rpc(0), header, owner20, dev20)["spend_limit"]
    assert left == [("stake", FEE_LIMIT - FEE)]     # the owner's grant paid it


def _call(p, nonce, amount, lane=0):
    """One paid call: the chip signs the voucher, the provider checks it against the channel
    proven at a verified header before it answers."""
    r = p["pay"].sign_voucher(p["chain"], CH, lane, nonce, amount, "stake")
    ch = C.channel(p["net"].rpc(0), _header(p["net"]), CH)
    inc = p["provider"].accept(ch, r["voucher"], r["sig"], PRICE)
    return r, inc


def test_paid_calls_are_redeemed_and_the_balance_is_proven(paid, capsys, tmp_path):
    net = paid["net"]
    header = _header(net)
    ch = C.channel(net.rpc(0), header, CH)
    assert (ch["owner"], ch["device"], ch["provider"], ch["spender"]) == \
        (OWNER[2], paid["device"], PROVIDER[2], paid["spender"])
    assert (ch["deposit"], ch["redeemed"], ch["closed"], ch["settle_at"]) == (DEPOSIT, 0, False, 0)
    before = C.balance(net.rpc(0), header, address_bytes(PROVIDER[2]), "stake")
    calls = [_call(paid, n, PRICE * n) for n in (1, 2, 3)]
    assert [inc for _r, inc in calls] == [PRICE] * 3
    assert calls[0][0]["summary"] == "pay 1 STAKE to stt.example"
    paid["old"] = calls[1][0]
    msgs = paid["provider"].redeem_messages()
    assert len(msgs) == 1                                 # only the latest voucher of the lane
    [(result, height)] = paid["provider_tx"].send([msgs])
    paid["provider"].mark_redeemed()
    print("\nredeem gas_used %s, voucher %d B" % (result["gas_used"], len(calls[2][0]["voucher"])))
    net.wait_for_height(height + 1)
    header = _header(net)
    assert C.balance(net.rpc(0), header, address_bytes(PROVIDER[2]), "stake") == before + 3 * PRICE
    ch = C.channel(net.rpc(0), header, CH)
    assert (ch["redeemed"], ch["lanes"]) == (3 * PRICE, [(0, 3, 3 * PRICE)])
    shown = _cli(capsys, net, tmp_path, "status", CH.hex(), "--balance", PROVIDER[2])
    assert (shown["redeemed"], shown["deposit"], shown["provider"]) == (3 * PRICE, DEPOSIT,
                                                                        PROVIDER[2])
    assert shown["balances"][PROVIDER[2]] >= before + 3 * PRICE

    class Lying:                       # a node that serves a bigger deposit than the chain has
        def __init__(self, rpc):
            self.rpc = rpc

        def abci_query(self, *a, **k):
            import base64
            resp = dict(self.rpc.abci_query(*a, **k))
            v = bytearray(base64.b64decode(resp["value"]))
            v[v.index(bytes([0x38])) + 1] ^= 0x01       # field 7 (deposit), its varint
            resp["value"] = base64.b64encode(bytes(v)).decode()
            return resp
    with pytest.raises(ProofError):
        C.channel(Lying(net.rpc(0)), header, CH)


def test_an_old_or_forged_voucher_is_refused_by_the_provider_and_by_the_chain(paid, capsys,
                                                                              tmp_path):
    net = paid["net"]
    old = paid["old"]                    # nonce 2: the chain has redeemed nonce 3
    r = paid["pay"].sign_voucher(paid["chain"], CH, 0, 4, 4 * PRICE, "stake")
    bad_sig = bytes(r["sig"][:10]) + bytes([r["sig"][10] ^ 1]) + bytes(r["sig"][11:])
    ch = C.channel(net.rpc(0), _header(net), CH)
    for voucher, sig, check in ((old["voucher"], old["sig"], "nonce_old"),
                                (r["voucher"], bad_sig, "spender_signature")):
        with pytest.raises(C.PaymentRefused) as e:
            C.Provider(PROVIDER[2], paid["chain"]).accept(ch, voucher, sig, PRICE)
        assert e.value.check == check
    key = tmp_path / "provider.hex"
    key.write_text(PROVIDER[0].hex())
    out = _cli(capsys, net, tmp_path, "redeem", bytes(r["voucher"]).hex(), bad_sig.hex(),
               "--key", str(key), exit=1)        # `pay redeem` checks before it sends
    assert out["error"]["check"] == "spender_signature"
    for voucher, sig, name in ((old["voucher"], old["sig"], "nonce_used"),
                               (r["voucher"], bad_sig, "voucher_signature")):
        with pytest.raises(txclient.TxRejected) as e:
            paid["provider_tx"].send([[C.msg_redeem(PROVIDER[2], voucher, sig)]])
        assert e.value.details["codespace"] == C.CODESPACE
        assert C.error_name(e.value.details["code"]) == name
    paid["newer"] = r                 # nonce 4, signed by the chip, never redeemed yet


def test_the_owner_reclaims_after_the_settle_delay_in_which_a_newer_voucher_wins(paid, capsys,
                                                                                tmp_path):
    net, owner = paid["net"], paid["owner"]
    newer = paid["newer"]
    ch = C.channel(net.rpc(0), _header(net), CH)
    assert paid["provider"].accept(ch, newer["voucher"], newer["sig"], PRICE) == PRICE
    [(_r, settling)] = owner.send([[C.msg_start_settle(OWNER[2], CH)]])
    # in the delay, at once: the provider redeems the newer voucher, the owner tries to reclaim
    redeem = paid["provider_tx"].submit(paid["provider"].redeem_messages())
    early = owner.submit([C.msg_reclaim(OWNER[2], CH)])
    _r, redeemed = txclient.wait_included(net.rpc(0), redeem)
    with pytest.raises(txclient.TxRejected) as e:
        txclient.wait_included(net.rpc(0), early)
    assert C.error_name(e.value.details["code"]) == "settle_delay_not_over"
    net.wait_for_height(redeemed + 1)
    header = _header(net)
    ch = C.channel(net.rpc(0), header, CH)
    assert ch["redeemed"] == 4 * PRICE and ch["settle_at"] > 0
    with pytest.raises(C.PaymentRefused) as e2:       # no new calls on a settling channel
        _call(paid, 5, 5 * PRICE)
    assert e2.value.check == "channel_settling"
    # block time, as verified headers show it, past settle_at
    while _header(net).time_ns // 10 ** 9 < ch["settle_at"]:
        net.wait_for_height(net.rpc(0).status()["latest_height"] + 1)
    owner_before = C.balance(net.rpc(0), _header(net), address_bytes(OWNER[2]), "stake")
    key = tmp_path / "owner.hex"
    key.write_text(OWNER[0].hex())
    out = _cli(capsys, net, tmp_path, "reclaim", CH.hex(), "--key", str(key))
    reclaimed = out["height"]
    assert out["closed"] and out["verified_height"] > reclaimed
    net.wait_for_height(reclaimed + 1)
    header = _header(net)
    ch = C.channel(net.rpc(0), header, CH)
    assert ch["closed"] and ch["redeemed"] == 4 * PRICE
    assert C.balance(net.rpc(0), header, address_bytes(OWNER[2]), "stake") == \
        owner_before + DEPOSIT - 4 * PRICE
    late = paid["pay"].sign_voucher(paid["chain"], CH, 1, 1, PRICE, "stake")
    with pytest.raises(txclient.TxRejected) as e:
        paid["provider_tx"].send([[C.msg_redeem(PROVIDER[2], late["voucher"], late["sig"])]])
    assert C.error_name(e.value.details["code"]) == "channel_closed"
    assert settling < reclaimed
