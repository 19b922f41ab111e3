# The device's own settings opened on the chip (keys group OPEN_SETTINGS, issue 20), through its
# SMP handler on CPython over a RAM flash. The envelopes come inside their x/devices proofs, which
# the chip verifies against the app hash of its own trusted header: a forged proof, a proof for
# another key and a proof at an older height are refused (envelope_proof, envelope_proof_height)
# with nothing kept; the chip names the record itself (its paired owner, its account key); an
# older version than the last one it accepted is refused, across a power cut; a stripped wrap or
# a forged owner signature is refused; each with its check, and nothing but the plaintext leaves.
import os

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.app import keys_group
from lightclient.chip.core import cbor, ics23_types, trusted_at_rest, update_encode
from lightclient.chip.core.verifier import TrustedState
from lightclient.chip.crypto import secp256k1
from lightclient.chip.keys import envelope, epochs
from lightclient.chip.smp import keys as K
from lightclient.chip.smp import lc
from lightclient.owner import chain as oc
from lightclient.owner.book import OwnerBook

import fwscenario
from test_fw_pairing import OWNER, Board, _pair, _rc

OWNER_ID = OWNER.address("mycroft")
EPOCH0 = epochs.epoch_record_key(OWNER_ID, 0)
ib = fwscenario.ics23_build


class Settled:
    """A paired chip (with its account key) on a chain whose header h commits to an x/devices
    store holding states[h - 1], {record key: envelope} (at 0x05 || record key); the chip is
    re-provisioned at header 1 and moved on with `advance`."""

    def __init__(self):
        self.b = b = Board()
        res = _pair(b, b.code)
        acct = b.fw.device.generate_account_key(False)
        self.book = OwnerBook(OWNER, b.chain_id, OWNER_ID, os.urandom)
        self.env0 = self.book.pair(res.device_pub, res.device_x25519)
        self.key = oc.settings_record_key(OWNER_ID, oc.device_settings_name(
            ct.bech32_address(acct)))

    def chain(self, *states):
        self.trees = []
        for st in states:
            dev = ib.IavlTree({b"\x05" + k: v for k, v in st.items()}, version=1)
            self.trees.append((dev, ib.multistore({"bank": ib.IavlTree({b"b": b"1"}, 1).root,
                                                   "devices": dev.root})))
        self.c = fwscenario.Chain(self.b.chain_id, fwscenario.make_validators(4),
                                  fwscenario.START)
        self.c.run(len(states), app_hash=lambda h: self.trees[h - 1][1].root)
        self.b.fw.device.set_checkpoint(trusted_at_rest.encode_trusted(self._trusted(1)), None,
                                        None, True)

    def _trusted(self, h):
        lb = self.c.blocks[h]
        return TrustedState(lb.signed_header.header, lb.next_validators, lb.validators)

    def advance(self, frm, to):
        steps = [self.c.blocks[h] for h in range(frm + 1, to + 1)]
        self.b.fw.device.submit_update(update_encode.encode_update(steps, self._trusted(frm)),
                                       self.c.time_at(to) + 60 * fwscenario.SECOND)

    def ops(self, h, key):
        dev, stores = self.trees[h - 1]
        return [list(op) for op in ib.abci_proof_ops(dev, stores, "devices", b"\x05" + key)]

    def open(self, h, at=None, env_ops=None, epoch_ops=None):
        return self.b.call(keys_group.open_settings, {
            "height": h if at is None else at,
            "env_proof": env_ops or self.ops(h, self.key),
            "epoch_proof": epoch_ops or self.ops(h, EPOCH0)})

    def refused(self, *args, **kw):
        rc, e = _rc(lambda: self.open(*args, **kw))
        assert rc == K.E_ENVELOPE
        return e

    def setver(self):
        return self.b.fw.device.store.get("setver")


def _forged(ops, value):
    """ops whose existence proof carries `value` in place of the committed one."""
    p = ics23_types.decode_commitment_proof(ops[0][2])
    p.value = value
    return [[ops[0][0], ops[0][1], ics23_types.encode_commitment_proof(p)]] + ops[1:]


def test_the_chip_opens_its_own_settings_at_its_header_and_refuses_older_ones():
    s = Settled()
    assert s.key == epochs.device_settings_key(OWNER_ID,
                                               ct.bech32_address(s.b.fw.device.acct_pub))
    v1 = s.book.seal(s.key, b'{"lang":"de-de"}', 1)
    v2 = s.book.seal(s.key, b'{"lang":"fr-fr"}', 2)
    s.chain({s.key: v1, EPOCH0: s.env0}, {s.key: v2, EPOCH0: s.env0},
            {s.key: v1, EPOCH0: s.env0})
    assert s.open(1) == {"plaintext": b'{"lang":"de-de"}', "version": 1, "epoch": 0,
                         "key": s.key, "height": 1}
    s.advance(1, 2)
    # the proof of header 1's state, now that the chip trusts header 2: refused, by its height
    # or (claimed at 2) by its app hash
    assert s.refused(1, at=1).check == "envelope_proof_height"
    e = s.refused(1, at=2)
    assert e.check == "envelope_proof" and e.details["cause"] == "abci_app_hash_mismatch"
    assert s.setver() == b"1"                            # nothing kept from either
    assert s.open(2)["plaintext"] == b'{"lang":"fr-fr"}'
    assert s.open(2)["version"] == 2                     # the same version again: fine
    s.b.boot()                                           # a power cut: rebuilt from the flash
    s.advance(2, 3)                                      # a state that went back (no chain does)
    assert s.refused(3).check == "envelope_replayed"
    assert s.setver() == b"2"


def test_a_forged_proof_or_a_proof_for_another_key_is_refused_and_nothing_kept():
    s = Settled()
    other = oc.settings_record_key(OWNER_ID, oc.device_settings_name(
        ct.bech32_address(secp256k1.public_key(b"\x05" * 32))))
    v1 = s.book.seal(s.key, b'{"lang":"de-de"}', 1)
    v9 = s.book.seal(s.key, b'{"lang":"xx"}', 9)         # sealed, never written on chain
    s.chain({s.key: v1, EPOCH0: s.env0, other: s.book.seal(other, b'{"lang":"yy"}', 5)})
    # a newer, authentic envelope put inside the proof of the committed one
    e = s.refused(1, env_ops=_forged(s.ops(1, s.key), v9))
    assert e.check == "envelope_proof" and e.details["cause"] == "ics23_value_mismatch"
    # another device's envelope with its own valid proof: the chip's key is not that one
    e = s.refused(1, env_ops=s.ops(1, other))
    assert e.check == "envelope_proof" and e.details["cause"] == "abci_proof_op_key"
    # a forged epoch envelope (this device's wrap stripped) inside the epoch's proof
    m = envelope.parse(s.env0)
    m[envelope.K_WRAPS] = [[os.urandom(32), os.urandom(32), os.urandom(48)]]
    e = s.refused(1, epoch_ops=_forged(s.ops(1, EPOCH0), cbor.dumps(m)))
    assert e.check == "envelope_proof"
    # proof ops that are not ops at all
    assert s.refused(1, env_ops=[["ics23:iavl", b"k"]]).check == "envelope_proof"
    assert s.setver() is None                            # nothing kept from any of them
    assert s.open(1)["plaintext"] == b'{"lang":"de-de"}' and s.setver() == b"1"


def test_a_forged_signature_and_a_stripped_wrap_on_chain_are_refused():
    s = Settled()
    m = envelope.parse(s.book.seal(s.key, b'{"lang":"xx"}', 3))
    m[envelope.K_SIG] = bytes(64)
    e0 = envelope.parse(s.env0)
    e0[envelope.K_WRAPS] = [[os.urandom(32), os.urandom(32), os.urandom(48)]]
    s.chain({s.key: cbor.dumps(m), EPOCH0: s.env0},
            {s.key: s.book.seal(s.key, b"{}", 1), EPOCH0: cbor.dumps(e0)})
    assert s.refused(1).check == "envelope_signature"
    assert s.setver() is None
    s.advance(1, 2)
    # the record is authentic and proven: its version is kept; the epoch envelope is not
    assert s.refused(2).check == "envelope_signature"
    assert s.setver() == b"1"


def test_an_unpaired_chip_or_one_without_an_account_key_opens_nothing():
    b = Board()
    def p():
        return {"height": 1, "env_proof": [], "epoch_proof": []}
    rc, e = _rc(b.call, keys_group.open_settings, p())
    assert rc == K.E_NOT_PAIRED and e.check == "not_paired"
    _pair(b, b.code)
    rc, e = _rc(b.call, keys_group.open_settings, p())
    assert e.check == "no_account_key"
    rc, e = _rc(b.call, keys_group.open_settings, {"height": 1})
    assert e.check == "request"


def test_location_and_skills_are_opened_by_name_under_keys_the_chip_makes():
    """OPEN_SETTINGS name=location|skills: settings/<owner>/<name>.<its account>, made on the
    chip and proven at its header; the settings' envelope is not a location (its proof is for
    another key), an unknown name is refused, and the location's version is kept beside the
    settings' (setver: settings, location)."""
    s = Settled()
    me = ct.bech32_address(s.b.fw.device.acct_pub)
    loc = oc.settings_record_key(OWNER_ID, oc.device_settings_name(me, "location"))
    assert loc == epochs.device_settings_key(OWNER_ID, me, "location")
    env = s.book.seal(loc, b'{"city":"Lyon"}', 4)
    s.chain({loc: env, s.key: s.book.seal(s.key, b"{}", 1), EPOCH0: s.env0})

    def by_name(name, key):
        return s.b.call(keys_group.open_settings, {
            "height": 1, "name": name, "env_proof": s.ops(1, key),
            "epoch_proof": s.ops(1, EPOCH0)})
    assert by_name("location", loc) == {"plaintext": b'{"city":"Lyon"}', "version": 4,
                                        "epoch": 0, "key": loc, "height": 1}
    assert s.setver() == b"0,4"
    rc, e = _rc(by_name, "location", s.key)
    assert rc == K.E_ENVELOPE and e.check == "envelope_proof"
    rc, e = _rc(by_name, "contacts", loc)
    assert e.check == "record_name"


def test_location_and_skills_have_version_floors_too_across_a_power_cut():
    """A lying Pi that proves an older location (a state that went back) after a reboot gets
    envelope_replayed, as for the settings; each record has its own floor, in one store record."""
    s = Settled()
    me = ct.bech32_address(s.b.fw.device.acct_pub)
    loc, sk = (epochs.device_settings_key(OWNER_ID, me, n) for n in ("location", "skills"))
    old_loc = s.book.seal(loc, b'{"city":"Lyon"}', 3)
    state = {loc: s.book.seal(loc, b'{"city":"Oslo"}', 4), sk: s.book.seal(sk, b"[]", 2),
             s.key: s.book.seal(s.key, b"{}", 1), EPOCH0: s.env0}
    s.chain(state, {**state, loc: old_loc})

    def by_name(name, key, h):
        return s.b.call(keys_group.open_settings, {
            "height": h, "name": name, "env_proof": s.ops(h, key),
            "epoch_proof": s.ops(h, EPOCH0)})
    assert by_name("skills", sk, 1)["version"] == 2 and s.setver() == b"0,0,2"
    assert by_name("location", loc, 1)["version"] == 4 and s.setver() == b"0,4,2"
    assert s.open(1)["version"] == 1 and s.setver() == b"1,4,2"
    s.b.boot()                                           # a power cut: rebuilt from the flash
    s.advance(1, 2)
    rc, e = _rc(by_name, "location", loc, 2)
    assert rc == K.E_ENVELOPE and e.check == "envelope_replayed"
    assert e.details["min_version"] == 4
    assert by_name("skills", sk, 2)["version"] == 2      # the same version again: fine
    assert s.setver() == b"1,4,2"


def test_a_floors_record_the_chip_cannot_read_is_a_typed_store_error():
    s = Settled()
    s.chain({s.key: s.book.seal(s.key, b"{}", 1), EPOCH0: s.env0})
    for bad in (b"1,x", b"1,,2", b"1,2,3,4", b"", b"9" * 65):
        s.b.fw.device._commit({"setver": bad})
        rc, e = _rc(s.open, 1)
        assert rc == lc.E_STORE and e.check == "store_setver", bad
    assert s.setver() == b"9" * 65                       # nothing written over it


def test_the_paired_record_keeps_the_chips_x25519_key_and_one_paired_before_still_opens():
    # OPEN_SETTINGS finds its wrap in the epoch envelope by the X25519 public key the pairing
    # kept ("x"), not by making it again; a record paired before that field existed has none,
    # and the chip makes the key from its secret then
    s = Settled()
    kr = keys_group._keyring(s.b.fw)
    p = kr.paired()
    assert p["x"] == kr.x25519_public() and len(p["x"]) == 32
    v1 = s.book.seal(s.key, b'{"lang":"de-de"}', 1)
    s.chain({s.key: v1, EPOCH0: s.env0})
    del p["x"]
    s.b.fw.device._commit({"paired": cbor.dumps(p)})
    assert "x" not in kr.paired()
    assert s.open(1)["plaintext"] == b'{"lang":"de-de"}'
    p["x"] = bytes(32)            # a wrong key kept: the chip's wrap is not found, a typed error
    s.b.fw.device._commit({"paired": cbor.dumps(p)})
    assert s.refused(1).check == "envelope_not_recipient"
