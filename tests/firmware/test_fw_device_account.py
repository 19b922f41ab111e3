# The chip's account key (secp256k1) on CPython over a RAM flash: made on the chip, kept across a
# reload, and used only for what the chip has read: SignDocs of its own chain, its own key, and
# x/devices writes naming its own account; and the registration statement it builds itself.
import os

import pytest

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.app import boot
from lightclient.chip.core import cbor
from lightclient.chip.crypto import ed25519, secp256k1
from lightclient.chip.keys import envelope, epochs
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.chip.smp import lc

import fwscenario

INFO = {"board": "test", "chip": "esp32"}


def _rc(fn, *args):
    with pytest.raises(lc.LinkError) as e:
        fn(*args)
    return e.value.rc, e.value.check


@pytest.fixture(scope="module")
def chip():
    dev = RamBlockDevice(4096, 16)
    d = boot.build(dev, b"\x09" * 32, INFO, os.urandom).device
    assert _rc(d.account_key)[0] == lc.E_NO_KEY
    pub = d.generate_account_key(False)
    sc = fwscenario.Scenario(d.generate_key(False))
    d.set_checkpoint(sc.checkpoint(1), None, None, False)
    return dev, d, pub, sc.chain.chain_id


def _doc(pub, chain_id, messages, number=7, sequence=3, **fee):
    body = ct.tx_body(messages)
    auth = ct.auth_info(pub, sequence, 200000, **fee)
    return body, auth, chain_id, number


def test_the_account_key_is_made_once_and_survives_a_reload(chip):
    dev, d, pub, _chain = chip
    assert len(pub) == 33 and pub[0] in (2, 3)
    assert _rc(d.generate_account_key, False) == (lc.E_ALREADY, "account_key_exists")
    again = boot.build(dev, b"\x09" * 32, INFO, os.urandom).device
    assert again.account_key() == pub and again.status()["account_pub"] == pub
    secret = again.store.get("acct")
    assert len(secret) == 32 and secret not in repr(again.status()).encode()
    assert secret.hex() not in repr(again.status())


def test_a_device_write_of_its_own_is_signed_and_read_back(chip):
    _dev, d, pub, chain = chip
    env = fwscenario.sealed_write(d, "skill_settings", b"[]")
    fields = _doc(pub, chain, [ct.msg_device_write(ct.bech32_address(pub), "skill_settings",
                                                   env)], fee=[("stake", ct.MAX_DEVICE_FEE)])
    sig, seen, text = d.sign_tx(*fields)
    assert secp256k1.verify(pub, ct.sign_doc(*fields), sig)
    assert (seen["chain_id"], seen["account_number"], seen["sequence"]) == (chain, 7, 3)
    assert text == "write skill_settings"


@pytest.mark.parametrize("case, check", [
    ("other_chain", "sign_tx_chain"),
    ("bank_send", "sign_tx_type"),
    ("register", "sign_tx_type"),
    ("other_device", "sign_tx_signer"),
    ("other_key", "sign_tx_pubkey"),
    ("fee_too_high", "sign_tx_fee"),
    ("fee_granter", "sign_tx_fee"),
])
def test_what_is_not_its_own_write_is_refused(chip, case, check):
    _dev, d, pub, chain = chip
    me = ct.bech32_address(pub)
    other = secp256k1.public_key(b"\x05" * 32)
    write = ct.msg_device_write(me, "metrics", fwscenario.sealed_write(d, "metrics"))
    fields = {
        "other_chain": _doc(pub, "another-chain", [write]),
        "bank_send": _doc(pub, chain, [write, ct.msg_send(me, ct.bech32_address(other),
                                                          [("stake", 1)])]),
        "register": _doc(pub, chain, [ct.msg_register_device(me, other, b"", b"\x00" * 64)]),
        "other_device": _doc(pub, chain, [ct.msg_device_write(
            ct.bech32_address(other), "metrics", fwscenario.sealed_write(d, "metrics"))]),
        "other_key": _doc(other, chain, [write]),
        "fee_too_high": _doc(pub, chain, [write], fee=[("stake", ct.MAX_DEVICE_FEE + 1)]),
        "fee_granter": _doc(pub, chain, [write], granter=ct.bech32_address(other)),
    }[case]
    assert _rc(d.sign_tx, *fields) == (lc.E_REFUSED, check)


@pytest.mark.parametrize("case, check", [
    ("plaintext", "sign_write_plaintext"),
    ("not_an_envelope", "sign_write_plaintext"),
    ("plaintext_dressed_as_an_envelope", "sign_write_signature"),
    ("another_kind", "sign_write_envelope"),
    ("another_chain", "sign_write_envelope"),
    ("another_writer", "sign_write_envelope"),
    ("unknown_kind", "sign_write_kind"),
])
def test_a_write_it_did_not_seal_itself_is_not_signed(chip, case, check):
    """The chip signs a MsgDeviceWrite only around an envelope it sealed (SEAL_OWN): a Pi cannot
    get a plaintext write, or plaintext inside an envelope's shape, signed into a block."""
    _dev, d, pub, chain = chip
    me = ct.bech32_address(pub)
    other = os.urandom(32)
    if case == "plaintext_dressed_as_an_envelope":     # its own key, a signature it never made
        env = fwscenario.sealed_write(d, "metrics", writer_seed=other)
    elif case == "another_writer":
        env = envelope.seal(chain, epochs.device_write_key("mycroft1owner", d.pub, "metrics"), 1,
                            0, b"{}", [os.urandom(32)], ("ed25519", ed25519.public_key(other)),
                            lambda m: ed25519.sign(other, m), os.urandom)
    else:
        env = {"plaintext": b'{"units":"metric"}', "not_an_envelope": cbor.dumps({0: 1}),
               "another_kind": fwscenario.sealed_write(d, "settings_meta"),
               "another_chain": fwscenario.sealed_write(d, "metrics", chain_id="other-1"),
               "unknown_kind": fwscenario.sealed_write(d, "metrics")}[case]
    value = ct.msg_device_write(me, "metrics", env)
    if case == "unknown_kind":
        value = (value[0], value[1].replace(b"\x10\x03", b"\x10\x09", 1))
    assert _rc(d.sign_tx, *_doc(pub, chain, [value])) == (lc.E_REFUSED, check)


def test_a_sign_doc_it_cannot_read_is_a_decode_error(chip):
    _dev, d, pub, chain = chip
    body, auth, _c, n = _doc(pub, chain, [ct.msg_device_write(
        ct.bech32_address(pub), "metrics", fwscenario.sealed_write(d, "metrics"))])
    with pytest.raises(Exception) as e:
        d.sign_tx(body + b"\xfa\x3f\x00", auth, chain, n)     # an extension option
    assert lc.error_code(e.value) == lc.E_DECODE


def test_the_registration_statement_is_built_and_signed_on_the_chip(chip):
    _dev, d, pub, chain = chip
    owner = b"\x33" * 20
    sig = d.sign_registration(chain, owner)
    assert secp256k1.verify(pub, ct.registration_statement(chain, owner, pub), sig)
    assert _rc(d.sign_registration, "another-chain", owner)[1] == "sign_tx_chain"
