"""The chain kind's record layout (lightclient/record_layouts.py): the real chain's x/devices key
and protobuf value (the Go module's keys.go and devices.proto), the device named by its exact
account address, a record whose key is not its public key's refused, and the cache serving a
record only to a client of the chain kind that proved it."""

import hashlib

import coincurve
import pytest

from lightclient import record_layouts
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError, ProofError
from lightclient.client import LightClient
from lightclient.config import Config
from lightclient.records import ProvenRecord

X = record_layouts.layout(record_layouts.COSMOS_SDK)


def _pub(seed):
    return coincurve.PrivateKey(hashlib.sha256(seed).digest()).public_key.format(True)


def _device(pub, settings=b"", owner="mycroft1owner", version=1):
    return (proto.bytes_field(1, owner.encode()) + proto.bytes_field(2, pub)
            + proto.bytes_field(3, settings) + proto.varint_field(4, version))


def test_the_key_is_0x01_and_the_account_address():
    pub = _pub(b"a")
    name = ct.bech32_address(pub)
    assert X.key(name) == b"\x01" + ct.account_address(pub)
    assert len(X.key(name)) == 21


@pytest.mark.parametrize("bad", ["mark2-kitchen", "", "cosmos1qqqq", None])
def test_a_device_not_named_by_an_account_address_is_refused(bad):
    with pytest.raises(DecodeError) as e:
        X.key(bad)
    assert e.value.check == "device_address"


def test_another_spelling_of_the_address_is_refused():
    name = ct.bech32_address(_pub(b"a"))
    flipped = name[:-1] + ("q" if name[-1] != "q" else "p")     # checksum broken
    for bad in (name.upper(), flipped, name + "q", name[:-2]):
        with pytest.raises(DecodeError):
            X.key(bad)


def test_the_record_never_reads_plaintext_settings():
    """No plaintext path on the real chain: a settings field (which x/devices refuses to write)
    is not read as the device's settings; those come sealed, opened on the chip."""
    pub = _pub(b"a")
    rec = X.decode(_device(pub, b'{"lang":"en-us"}', version=3), ct.bech32_address(pub))
    assert rec["setting"] == {} and rec["version"] == 3 and "settings" not in rec
    assert rec["device_pubkey"] == pub.hex() and rec["owner"] == "mycroft1owner"


def test_a_record_whose_key_is_another_devices_is_refused():
    with pytest.raises(ProofError) as e:
        X.decode(_device(_pub(b"a")), ct.bech32_address(_pub(b"b")))
    assert e.value.check == "record_address"


@pytest.mark.parametrize("value", [b"\x12\x05abcde", b"\x12", b"\x0f\x00"])
def test_a_malformed_record_is_a_typed_decode_error(value):
    with pytest.raises(DecodeError):
        X.decode(value, ct.bech32_address(_pub(b"a")))


def test_the_cache_serves_a_record_only_to_its_chain_kind(tmp_path):
    pub = _pub(b"a")
    name = ct.bech32_address(pub)
    rec = ProvenRecord(name, None, 7, b"\x07" * 32, 10 ** 18, value=_device(pub),
                       proof_ops=[], layout=record_layouts.COSMOS_SDK)

    def client(kind):
        cfg = Config("c", 1, b"\x01" * 32, str(tmp_path), central="http://127.0.0.1:9",
                     device_uuid=name, chain_kind=kind)
        return LightClient(cfg)

    real = client(record_layouts.COSMOS_SDK)
    real.store.save_record(name, rec.to_cache())
    entry = real._cached_entry(name)
    assert entry["layout"] == record_layouts.COSMOS_SDK
    back = real._from_cache(name, entry)
    assert back.stale and back.record["device_pubkey"] == pub.hex()
    assert back.key == b"\x01" + ct.account_address(pub)
    assert client(record_layouts.SCENARIONET)._cached_entry(name) is None


def test_a_config_checks_the_device_name_against_its_chain_kind(tmp_path):
    from lightclient.config import ConfigError
    doc = {"chain_id": "c", "checkpoint": {"height": 1, "hash": "01" * 32},
           "central": "http://127.0.0.1:9", "state_dir": str(tmp_path),
           "device_uuid": "mark2-kitchen"}
    assert Config.from_json(doc).chain_kind == "scenarionet"
    with pytest.raises(ConfigError) as e:
        Config.from_json(dict(doc, chain_kind="cosmos-sdk"))
    assert e.value.details["field"] == "device_uuid"
    with pytest.raises(ConfigError) as e:
        Config.from_json(dict(doc, chain_kind="ethereum"))
    assert e.value.details["field"] == "chain_kind"


def test_the_old_chain_kind_name_devnet_is_read_and_written_as_scenarionet(tmp_path):
    doc = {"chain_id": "c", "checkpoint": {"height": 1, "hash": "01" * 32},
           "central": "http://127.0.0.1:9", "state_dir": str(tmp_path),
           "device_uuid": "mark2-kitchen", "chain_kind": "devnet"}   # a config from before
    cfg = Config.from_json(doc)
    assert cfg.chain_kind == record_layouts.SCENARIONET == "scenarionet"
    assert cfg.to_json()["chain_kind"] == "scenarionet"             # new configs: new name
    assert Config("c", 1, b"\x01" * 32, str(tmp_path), chain_kind="devnet").chain_kind \
        == "scenarionet"
    assert record_layouts.layout("devnet") is record_layouts.layout("scenarionet")
    assert "devnet" not in record_layouts.KINDS                      # never offered, only read
    with pytest.raises(DecodeError):
        record_layouts.layout("Devnet")
