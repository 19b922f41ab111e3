# Pairing with the chip's keyring through its SMP handlers (lightclient.chip.app.keys_group) on
# CPython over a RAM flash: the owner's tool pairs with the code from the label, a wrong code and
# a tampering relay fail and are counted, the count survives a power cut and backs off, a factory
# reset needs the owner, and a paired chip opens sealed settings (a removed device cannot).
import os

import pytest

from lightclient.chip.app import boot, keys_group
from lightclient.chip.core import cbor
from lightclient.chip.keys import envelope, epochs, pairing
from lightclient.chip.keys.errors import PairingError
from lightclient.chip.smp import keys as K
from lightclient.chip.smp import lc
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.chip.crypto import secp256k1
from lightclient.owner.keyfile import OwnerKey
from lightclient.owner.pair import OwnerPairing

import fwscenario

INFO = {"board": "test", "chip": "esp32"}
OWNER = OwnerKey("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                 "abandon abandon about")
SECRET = b"\x09" * 32


class Board:
    """A chip on a RAM flash that can lose power (rebuilt from the same flash)."""

    def __init__(self):
        self.flash = RamBlockDevice(4096, 16)
        self.boot()
        self.pub = self.fw.device.generate_key(False)
        sc = fwscenario.Scenario(self.pub)
        self.chain_id = sc.trusted().header.chain_id
        self.fw.device.set_checkpoint(sc.checkpoint(1), None, None, False)
        self.code = self.call(keys_group.provision, {"chain_id": self.chain_id})["code"]

    def boot(self):
        self.fw = boot.build(self.flash, SECRET, INFO, os.urandom)

    def call(self, handler, payload=None, now_ms=0):
        return handler(self.fw, payload or {}, now_ms)


def _rc(fn, *args):
    with pytest.raises(Exception) as e:
        fn(*args)
    return getattr(e.value, "rc", None), e.value


def _pair(board, code, now_ms=1000, relay=lambda m: m):
    board.call(keys_group.open_window, now_ms=now_ms)
    p = OwnerPairing(code, OWNER, board.chain_id, board.pub, os.urandom)
    a1 = board.call(keys_group.pair_start, relay(p.start()), now_ms)
    req2 = p.respond(relay(a1))
    a2 = board.call(keys_group.pair_finish, relay(req2), now_ms)
    return p.finish(relay(a2))


def test_the_owner_pairs_with_the_code_from_the_label():
    b = Board()
    assert len(pairing.normalize_code(b.code)) == 12
    res = _pair(b, b.code)
    st = cbor.loads(res.statement)
    assert st[1] == b.chain_id and st[2] == OWNER.secp256k1_public and st[3] == b.pub
    assert st[4] == b.fw.keyring.x25519_public() and len(st[5]) == 32
    # both signatures verify over the statement's signing bytes (what the chain module checks)
    msg = pairing.signing_bytes(res.statement)
    assert secp256k1.verify(OWNER.secp256k1_public, msg, res.owner_sig)
    info = b.call(keys_group.key_info)
    assert info["owner"] == OWNER.secp256k1_public and info["failures"] == 0
    # the store holds the verifier, never the code (nor w1)
    store = b.fw.device.store
    digits = pairing.normalize_code(b.code).encode()
    assert not any(digits in store.get(n) for n in store.names())
    assert "pake" in store.names() and len(cbor.loads(store.get("pake"))) == 3


def test_a_wrong_code_fails_and_is_counted_and_backs_off_across_a_power_cut():
    b = Board()
    wrong = "0000-0000-0000" if b.code != "0000-0000-0000" else "1111-1111-1111"
    for i in range(pairing.FREE_FAILURES):
        with pytest.raises(PairingError):
            _pair(b, wrong, now_ms=1000 + i)
    assert b.call(keys_group.key_info, now_ms=2000)["failures"] == pairing.FREE_FAILURES
    b.boot()                                   # pull the plug: the count stays
    b.call(keys_group.open_window, now_ms=10)
    rc, e = _rc(_pair, b, b.code, 10)
    assert rc == K.E_BACKOFF and e.details["wait_ms"] > 0
    # after the wait (counted from boot) the right code pairs, and the count is cleared
    res = _pair(b, b.code, now_ms=pairing.backoff_ms(pairing.FREE_FAILURES) + 20)
    assert res.device_sig and b.call(keys_group.key_info)["failures"] == 0


def test_an_attempt_cut_before_its_end_is_still_counted():
    b = Board()
    b.call(keys_group.open_window, now_ms=5)
    p = OwnerPairing(b.code, OWNER, b.chain_id, b.pub, os.urandom)
    b.call(keys_group.pair_start, p.start(), 5)
    b.boot()                                   # power cut between the two halves
    assert b.call(keys_group.key_info)["failures"] == 1


def test_backoff_grows_and_is_capped():
    assert [pairing.backoff_ms(n) for n in range(6)] == [0, 0, 0, 2000, 4000, 8000]
    assert pairing.backoff_ms(60) == pairing.BACKOFF_MAX_MS


@pytest.mark.parametrize("field", ["share", "confirm", "owner", "sig"])
def test_a_relay_that_tampers_with_a_message_makes_pairing_fail_and_records_nothing(field):
    b = Board()

    def relay(m):
        m = dict(m)
        if field in m and isinstance(m[field], bytes):
            v = m[field]
            m[field] = v[:-1] + bytes([v[-1] ^ 1])
        return m
    with pytest.raises(Exception):
        _pair(b, b.code, relay=relay)
    assert b.call(keys_group.key_info)["owner"] is None


def test_outside_the_window_nothing_starts():
    b = Board()
    p = OwnerPairing(b.code, OWNER, b.chain_id, b.pub, os.urandom)
    rc, _ = _rc(b.call, keys_group.pair_start, p.start(), 0)
    assert rc == K.E_WINDOW
    b.call(keys_group.open_window, now_ms=0)
    rc, _ = _rc(b.call, keys_group.pair_start, p.start(), pairing.WINDOW_MS + 1)
    assert rc == K.E_WINDOW


def test_factory_reset_needs_the_owner_then_clears_everything():
    b = Board()
    _pair(b, b.code)
    rc, _ = _rc(b.call, keys_group.factory_reset, {})
    assert rc == lc.E_SIGNATURE
    msg = K.reset_message(b.pub, b.fw.device.store.generation)
    b.call(keys_group.factory_reset, {"owner_sig": secp256k1.sign(OWNER.secp256k1_secret, msg)})
    info = b.call(keys_group.key_info)
    assert info["pub"] is None and info["owner"] is None and not info["has_verifier"]
    assert info["x25519"] is None


def test_a_paired_chip_opens_sealed_settings_and_the_pi_gets_only_plaintext():
    b = Board()
    res = _pair(b, b.code)
    owner_id = OWNER.address()
    secret = epochs.epoch_secret(OWNER.x25519_secret, b.chain_id, 0)
    sign = lambda m: secp256k1.sign(OWNER.secp256k1_secret, m)  # noqa: E731
    writer = ("secp256k1", OWNER.secp256k1_public)
    env0 = epochs.seal_epoch(b.chain_id, owner_id, 0, secret, [res.device_x25519], writer, sign,
                             os.urandom)
    rec = envelope.seal(b.chain_id, b"settings/x", 4, 0, b'{"lang":"de-de"}',
                        [epochs.epoch_public(secret)], writer, sign, os.urandom)
    out = b.call(keys_group.open_sealed, {"epoch": 0, "owner_id": owner_id, "epoch_env": env0,
                                          "key": b"settings/x", "env": rec, "min_version": 4})
    assert out == {"plaintext": b'{"lang":"de-de"}', "version": 4, "epoch": 0}
    # epoch 1 leaves this device out (removed): what is written in it does not open
    secret1 = epochs.epoch_secret(OWNER.x25519_secret, b.chain_id, 1)
    other = os.urandom(32)
    from lightclient.chip.crypto import backend
    env1 = epochs.seal_epoch(b.chain_id, owner_id, 1, secret1, [backend.x25519_public_key(other)],
                             writer, sign, os.urandom)
    rec1 = envelope.seal(b.chain_id, b"settings/x", 5, 1, b"new", [epochs.epoch_public(secret1)],
                         writer, sign, os.urandom)
    rc, e = _rc(b.call, keys_group.open_sealed, {"epoch": 1, "owner_id": owner_id,
                                                 "epoch_env": env1, "key": b"settings/x",
                                                 "env": rec1})
    assert rc == K.E_ENVELOPE and e.check == "envelope_not_recipient"


def test_a_paired_chip_takes_no_second_owner_until_a_factory_reset():
    b = Board()
    _pair(b, b.code)
    other = OwnerKey("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong")
    b.call(keys_group.open_window, now_ms=2000)
    p = OwnerPairing(b.code, other, b.chain_id, b.pub, os.urandom)
    rc, e = _rc(b.call, keys_group.pair_start, p.start(), 2000)
    assert rc == lc.E_ALREADY and e.check == "already_paired"
    assert b.call(keys_group.key_info)["owner"] == OWNER.secp256k1_public


def test_what_the_device_writes_itself_is_sealed_to_the_epoch_and_signed_by_it():
    from lightclient.owner.book import OwnerBook
    b = Board()
    res = _pair(b, b.code)
    book = OwnerBook(OWNER, b.chain_id, OWNER.address(), os.urandom)
    env0 = book.pair(res.device_pub, res.device_x25519)
    out = b.call(keys_group.seal_own, {"epoch": 0, "epoch_env": env0, "kind": "skill_settings",
                                       "version": 2, "plaintext": b'[{"skill_gid": "x"}]'})
    # the record key is made on the chip: this device's own write of that kind
    key = epochs.device_write_key(OWNER.address(), res.device_pub, "skill_settings")
    assert out["key"] == key == ("write/%s/%s.skills" % (OWNER.address(), res.device_pub.hex())).encode()
    got = book.open(key, out["env"], 2, writers=[("ed25519", res.device_pub)])
    assert got.plaintext == b'[{"skill_gid": "x"}]' and got.writer == ("ed25519", res.device_pub)
    # the chip opens it again (another of the owner's devices does the same): its writer is
    # the device the key names
    opened = b.call(keys_group.open_sealed, {"epoch": 0, "owner_id": OWNER.address(),
                                             "epoch_env": env0, "key": key, "env": out["env"]})
    assert opened["plaintext"] == b'[{"skill_gid": "x"}]'
    # ... and not under another device's write key (the writer is not the device it names)
    other_key = epochs.device_write_key(OWNER.address(), b"\x01" * 32, "skill_settings")
    rc, e = _rc(b.call, keys_group.open_sealed, {"epoch": 0, "owner_id": OWNER.address(),
                                                 "epoch_env": env0, "key": other_key,
                                                 "env": out["env"]})
    assert rc == K.E_ENVELOPE and e.check in ("envelope_record_key", "envelope_writer")
    # no kind but the three: the Pi cannot make the chip write the owner's settings
    rc, e = _rc(b.call, keys_group.seal_own, {"epoch": 0, "epoch_env": env0, "kind": "location",
                                              "version": 1, "plaintext": b"{}"})
    assert e.check == "write_kind"
    # an epoch envelope the owner did not sign is refused: the Pi cannot pick the key
    fake = epochs.seal_epoch(b.chain_id, OWNER.address(), 0, os.urandom(32), [res.device_x25519],
                             ("secp256k1", secp256k1.public_key(b"\x07" * 32)),
                             lambda m: secp256k1.sign(b"\x07" * 32, m), os.urandom)
    rc, e = _rc(b.call, keys_group.seal_own, {"epoch": 0, "epoch_env": fake,
                                              "kind": "metrics", "version": 3, "plaintext": b"x"})
    assert rc == K.E_ENVELOPE and e.check == "envelope_writer"
    assert set(out) == {"env", "key"}    # the answer carries the envelope, never a key
