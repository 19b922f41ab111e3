# The device's own settings opened on the chip (keys group OPEN_SETTINGS, issue 20), through its
# SMP handler on CPython over a RAM flash: the chip names the record itself (its paired owner, its
# account key), so another device's envelope is refused; an older version than the last one it
# accepted is refused, across a power cut; a stripped wrap or a forged owner signature is refused;
# each with its check, and nothing but the plaintext leaves.
import os

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.app import keys_group
from lightclient.chip.core import cbor
from lightclient.chip.crypto import secp256k1
from lightclient.chip.keys import envelope, epochs
from lightclient.chip.smp import keys as K
from lightclient.owner import chain as oc
from lightclient.owner.book import OwnerBook

from test_fw_pairing import OWNER, Board, _pair, _rc

OWNER_ID = OWNER.address("mycroft")


def _paired():
    b = Board()
    res = _pair(b, b.code)
    acct = b.fw.device.generate_account_key(False)
    book = OwnerBook(OWNER, b.chain_id, OWNER_ID, os.urandom)
    env0 = book.pair(res.device_pub, res.device_x25519)
    key = oc.settings_record_key(OWNER_ID, oc.device_settings_name(ct.bech32_address(acct)))
    return b, book, env0, key


def _open(b, env0, env):
    return b.call(keys_group.open_settings, {"epoch": 0, "epoch_env": env0, "env": env})


def test_the_chip_opens_its_own_settings_and_refuses_an_older_version_after_a_power_cut():
    b, book, env0, key = _paired()
    assert key == epochs.device_settings_key(OWNER_ID, ct.bech32_address(b.fw.device.acct_pub))
    v1 = book.seal(key, b'{"lang":"de-de"}', 1)
    v2 = book.seal(key, b'{"lang":"fr-fr"}', 2)
    assert _open(b, env0, v1) == {"plaintext": b'{"lang":"de-de"}', "version": 1, "epoch": 0,
                                  "key": key}
    assert _open(b, env0, v2)["plaintext"] == b'{"lang":"fr-fr"}'
    assert _open(b, env0, v2)["version"] == 2            # the same version again: fine
    b.boot()                                             # a power cut: rebuilt from the flash
    rc, e = _rc(_open, b, env0, v1)
    assert rc == K.E_ENVELOPE and e.check == "envelope_replayed"
    assert b.fw.device.store.get("setver") == b"2"


def test_another_devices_envelope_a_stripped_wrap_and_a_forged_signature_are_refused():
    b, book, env0, key = _paired()
    other = oc.settings_record_key(OWNER_ID, oc.device_settings_name(
        ct.bech32_address(secp256k1.public_key(b"\x05" * 32))))
    rc, e = _rc(_open, b, env0, book.seal(other, b'{"lang":"xx"}', 9))
    assert rc == K.E_ENVELOPE and e.check == "envelope_record_key"
    # a record signed by a key that says it is the owner's: refused, its version not kept
    m = envelope.parse(book.seal(key, b'{"lang":"xx"}', 3))
    m[envelope.K_SIG] = bytes(64)
    rc, e = _rc(_open, b, env0, cbor.dumps(m))
    assert rc == K.E_ENVELOPE and e.check == "envelope_signature"
    assert b.fw.device.store.get("setver") is None
    # the epoch envelope without this device's wrap (another device's instead): the owner's
    # signature no longer covers it. The record itself is authentic: its version is kept
    m = envelope.parse(env0)
    m[envelope.K_WRAPS] = [[os.urandom(32), os.urandom(32), os.urandom(48)]]
    rc, e = _rc(_open, b, cbor.dumps(m), book.seal(key, b"{}", 1))
    assert rc == K.E_ENVELOPE and e.check == "envelope_signature"
    assert b.fw.device.store.get("setver") == b"1"


def test_an_unpaired_chip_or_one_without_an_account_key_opens_nothing():
    b = Board()
    rc, e = _rc(_open, b, b"", b"")
    assert rc == K.E_NOT_PAIRED and e.check == "not_paired"
    _pair(b, b.code)
    rc, e = _rc(_open, b, b"", b"")
    assert e.check == "no_account_key"


def test_location_and_skills_are_opened_by_name_under_keys_the_chip_makes():
    """OPEN_SETTINGS name=location|skills: settings/<owner>/<name>.<its account>, made on the
    chip; the settings' envelope is not a location (envelope_record_key), an unknown name is
    refused, and the settings' replay floor (setver) is not touched."""
    b, book, env0, key = _paired()
    me = ct.bech32_address(b.fw.device.acct_pub)
    loc = oc.settings_record_key(OWNER_ID, oc.device_settings_name(me, "location"))
    assert loc == epochs.device_settings_key(OWNER_ID, me, "location")
    env = book.seal(loc, b'{"city":"Lyon"}', 4)
    got = b.call(keys_group.open_settings, {"epoch": 0, "epoch_env": env0, "env": env,
                                            "name": "location"})
    assert got == {"plaintext": b'{"city":"Lyon"}', "version": 4, "epoch": 0, "key": loc}
    assert b.fw.device.store.get("setver") is None
    rc, e = _rc(b.call, keys_group.open_settings, {"epoch": 0, "epoch_env": env0, "name":
                                                   "location", "env": book.seal(key, b"{}", 1)})
    assert rc == K.E_ENVELOPE and e.check == "envelope_record_key"
    rc, e = _rc(b.call, keys_group.open_settings, {"epoch": 0, "epoch_env": env0, "env": env,
                                                   "name": "contacts"})
    assert e.check == "record_name"
