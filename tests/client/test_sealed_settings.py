"""The Pi's side of the device's sealed settings (lightclient/sealed_settings.py), with the
proofs stubbed (the chain's proofs: tests/localchain/test_chain_sealed_settings.py): what it reads
with and without a chip, the chip's opening of the very same bytes reused, a changed envelope
never served from the cache, the proofs handed to the chip made at the header it trusts, and the
opened settings kept in the records cache for the offline boot."""

import json
import os
from types import SimpleNamespace

import coincurve
import pytest

from lightclient import record_layouts, sealed_settings
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.keys import epochs
from lightclient.client import LightClient
from lightclient.config import Config
from lightclient.owner.book import OwnerBook
from lightclient.owner.keyfile import OwnerKey
from lightclient.records import ProvenRecord

OWNER = OwnerKey("abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                 "abandon abandon about")
OWNER_ID = OWNER.address("mycroft")
PUB = coincurve.PrivateKey(b"\x03" * 32).public_key.format()
UUID = ct.bech32_address(PUB)
KEY = epochs.device_settings_key(OWNER_ID, UUID)


HEAD = SimpleNamespace(light_block=SimpleNamespace(signed_header=SimpleNamespace(
    header=SimpleNamespace(height=20, app_hash=bytes([20]) * 32))))


class FakeChip:
    """Opens what the stubbed proof ops carry; trusts the header at `height`."""

    def __init__(self, owner=OWNER_ID, height=20):
        self.owner = owner
        self.opened = 0
        self.height = height

    def owner_id(self):
        return self.owner

    def trusted_header(self, height):
        return self.height, bytes([self.height]) * 32

    def open(self, height, env_ops, epoch_ops, name="device"):
        assert height == self.height and epoch_ops[0][1] == epochs.epoch_record_key(OWNER_ID, 0)
        assert env_ops[0][0] == epoch_ops[0][0] == height    # proven at the chip's header
        key = epochs.device_settings_key(OWNER_ID, UUID, name)   # the chip makes it by name
        assert env_ops[0][1] == key
        self.opened += 1
        o = OwnerBook(OWNER, "c", OWNER_ID, os.urandom, 0).open(key, env_ops[0][2])
        return {"plaintext": o.plaintext, "version": o.version, "epoch": o.epoch, "key": key}


@pytest.fixture
def chain(monkeypatch):
    """{height: {record key: envelope}}: what the stubbed proofs prove present at a header (its
    ops: [(height, key, envelope)])."""
    state = {20: {}, 21: {}}

    def prove(pool, key, height, app_hash, until):
        assert app_hash == bytes([height]) * 32
        v = state[height].get(bytes(key))
        return v, [(height, bytes(key), v)]
    monkeypatch.setattr(sealed_settings, "_prove", prove)
    return state


def _seal(plaintext, version):
    return OwnerBook(OWNER, "c", OWNER_ID, os.urandom).seal(KEY, plaintext, version)


def _read(chip, cached=None):
    return sealed_settings.read(None, HEAD, UUID, chip, cached)


def test_opened_on_the_chip_then_the_same_bytes_from_the_cached_opening(chain):
    chain = chain[20]
    chain[KEY] = _seal(b'{"lang":"de-de"}', 3)
    chain[epochs.epoch_record_key(OWNER_ID, 0)] = b"epoch envelope"
    chip = FakeChip()
    got = _read(chip)
    assert got["state"] == sealed_settings.OPENED and got["setting"] == {"lang": "de-de"}
    assert got["version"] == 3 and got["key"] == KEY.decode() and chip.opened == 1
    assert _read(chip, got) == got and chip.opened == 1          # no second opening
    assert _read(None, got) == got                              # nor a chip needed
    chain[KEY] = _seal(b'{"lang":"fr-fr"}', 4)                  # changed on chain
    with pytest.raises(sealed_settings.SettingsSealed) as e:
        _read(None, got)
    assert e.value.check == "settings_sealed"
    assert _read(chip, got)["setting"] == {"lang": "fr-fr"} and chip.opened == 2


def test_no_chip_and_nothing_opened_before_is_sealed(chain):
    with pytest.raises(sealed_settings.SettingsSealed):
        _read(None)


def test_an_unpaired_chip_and_a_device_with_no_envelope_read_empty_settings(chain):
    assert _read(FakeChip(owner=None)) == {"state": sealed_settings.NOT_PAIRED, "setting": {}}
    got = _read(FakeChip())
    assert got["state"] == sealed_settings.NONE_YET and got["setting"] == {}


def test_a_chip_ahead_of_the_pi_gets_the_proofs_at_its_own_header(chain):
    chain[20][KEY] = _seal(b'{"lang":"de-de"}', 3)
    chain[21][KEY] = _seal(b'{"lang":"fr-fr"}', 4)
    chain[21][epochs.epoch_record_key(OWNER_ID, 0)] = b"epoch envelope"
    got = _read(FakeChip(height=21))
    assert got["setting"] == {"lang": "fr-fr"} and got["height"] == 21


def test_opened_bytes_that_are_not_a_json_object_are_refused(chain):
    chain = chain[20]
    chain[KEY] = _seal(b'["lang"]', 1)
    chain[epochs.epoch_record_key(OWNER_ID, 0)] = b"epoch envelope"
    with pytest.raises(DecodeError) as e:
        _read(FakeChip())
    assert e.value.check == "settings_json"


def test_the_opened_settings_are_cached_with_the_record(tmp_path):
    value = proto.bytes_field(1, b"mycroft1owner") + proto.bytes_field(2, PUB) + \
        proto.varint_field(4, 1)
    rec = ProvenRecord(UUID, record_layouts.XDevicesLayout.decode(value, UUID), 7, b"\x07" * 32,
                       10 ** 18, value=value, proof_ops=[], layout=record_layouts.COSMOS_SDK)
    rec.set_sealed({"state": "opened", "setting": {"lang": "de-de"}, "version": 2})
    cfg = Config("c", 1, b"\x01" * 32, str(tmp_path), central="http://127.0.0.1:9",
                 device_uuid=UUID, chain_kind=record_layouts.COSMOS_SDK)
    client = LightClient(cfg)
    client.store.save_record(UUID, rec.to_cache())
    back = client._from_cache(UUID, client._cached_entry(UUID))
    assert back.stale and back.record["setting"] == {"lang": "de-de"}
    assert back.record["sealed"] == {"state": "opened", "version": 2}
    assert json.loads(json.dumps(back.to_dict()))["record"]["setting"] == {"lang": "de-de"}


def test_location_and_skills_are_sealed_records_of_their_own_opened_on_the_chip(chain):
    """settings/<owner>/location.<device> and skills.<device>: proven, opened on the chip by
    their name (the chip makes the key), served as the record's location and skills; the same
    bytes again come from the cached opening, a changed one needs the chip."""
    book = OwnerBook(OWNER, "c", OWNER_ID, os.urandom)
    loc_key = epochs.device_settings_key(OWNER_ID, UUID, "location")
    skills_key = epochs.device_settings_key(OWNER_ID, UUID, "skills")
    assert loc_key == ("settings/%s/location.%s" % (OWNER_ID, UUID)).encode()
    chain = chain[20]
    chain[epochs.epoch_record_key(OWNER_ID, 0)] = b"epoch envelope"
    chain[loc_key] = book.seal(loc_key, b'{"city":{"name":"Lyon"}}', 1)
    chain[skills_key] = book.seal(skills_key, b'[{"skill_gid":"w","settings":{"u":"c"}}]', 2)
    chip = FakeChip()
    got = _read(chip)
    assert got["state"] == sealed_settings.NONE_YET and got["setting"] == {}
    assert got["records"]["location"]["value"] == {"city": {"name": "Lyon"}}
    assert got["records"]["skills"]["value"] == [{"skill_gid": "w", "settings": {"u": "c"}}]
    assert got["records"]["skills"]["version"] == 2 and chip.opened == 2
    assert _read(None, got) == got and chip.opened == 2              # cached openings
    rec = ProvenRecord(UUID, {"uuid": UUID, "setting": {}}, 5, b"\0" * 32, 0, sealed=got)
    assert rec.record["location"] == {"city": {"name": "Lyon"}}
    assert rec.record["skills"][0]["skill_gid"] == "w"
    assert "records" not in rec.record["sealed"]
    # an array where an object belongs is refused, typed
    chain[loc_key] = book.seal(loc_key, b'[1]', 2)
    with pytest.raises(DecodeError) as e:
        _read(chip, got)
    assert e.value.check == "settings_json"
