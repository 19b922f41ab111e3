# app.device.Device on CPython over a RAM flash: which proven record the chip caches (by uuid, by
# its own public key, a proven absence), the refusals it gives with their codes, and that a
# refused command changes nothing in the store.
import os

import pytest

from lightclient.chip.app import boot
from lightclient.chip.app.device import Device
from lightclient.scenarionet import ics23_build
from lightclient.chip import txs
from lightclient.chip.core import update
from lightclient.chip.core import update_encode
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.chip.smp import lc

import fwscenario

INFO = {"board": "test", "chip": "esp32"}


def device():
    return boot.build(RamBlockDevice(4096, 16), b"\x09" * 32, INFO, os.urandom).device


def _rc(fn, *args):
    with pytest.raises(lc.LinkError) as e:
        fn(*args)
    return e.value.rc


def test_without_uuid_the_record_naming_this_key_is_adopted():
    d = device()
    pub = d.generate_key(False)
    sc = fwscenario.Scenario(pub, uuid="living-room")
    d.set_checkpoint(sc.checkpoint(1), None, None, False)
    assert _rc(d.settings) == lc.E_NO_RECORD
    _, n, cached = d.submit_update(sc.update(1, 2), sc.now(2))
    assert n == 1 and cached
    s = d.settings(sc.now(2))
    assert s["uuid"] == "living-room" and s["record"] == sc.record and s["height"] == 2
    assert d.status()["uuid"] == "living-room"


def test_a_record_of_another_device_is_not_adopted():
    d = device()
    d.generate_key(False)
    sc = fwscenario.Scenario(b"\x42" * 32)  # the record names another device's key
    d.set_checkpoint(sc.checkpoint(1), None, None, False)
    _, n, cached = d.submit_update(sc.update(1, 2), sc.now(2))
    assert n == 1 and not cached
    assert d.status()["height"] == 2 and d.status()["uuid"] is None
    assert _rc(d.settings) == lc.E_NO_RECORD


def test_a_proven_absence_of_the_configured_record_is_cached():
    d = device()
    pub = d.generate_key(False)
    sc = fwscenario.Scenario(pub)
    d.set_checkpoint(sc.checkpoint(1), None, "garage", False)
    key = txs.record_key("garage")
    ops = ics23_build.abci_proof_ops(sc.devices, sc.stores, "devices", key)
    proof = ("devices", key, None, ops)
    data = update_encode.encode_update([sc.chain.blocks[2]], sc.trusted(1), proofs=[proof])
    _, n, cached = d.submit_update(data, sc.now(2))
    assert cached
    s = d.settings()
    assert s["record"] is None and s["uuid"] == "garage" and s["height"] == 2


def test_state_survives_a_reload_from_the_store():
    dev = RamBlockDevice(4096, 16)
    d = boot.build(dev, b"\x09" * 32, INFO, os.urandom).device
    pub = d.generate_key(False)
    sc = fwscenario.Scenario(pub)
    d.set_checkpoint(sc.checkpoint(1), 3 * fwscenario.DAY, sc.uuid, False)
    d.submit_update(sc.update(1, 2), sc.now(2))
    again = boot.build(dev, b"\x09" * 32, INFO, os.urandom).device
    assert again.pub == pub and again.trusted.header.height == 2
    assert again.config == {"tp": 3 * fwscenario.DAY, "uuid": sc.uuid}
    assert again.settings()["record"] == sc.record
    # the wrong device secret: the store does not mount, nothing is formatted over it
    other = boot.build(dev, b"\x0a" * 32, INFO, os.urandom).device
    assert other.store is None and other.status()["store_ok"] is False
    assert _rc(other.generate_key, True) == lc.E_STORE
    assert boot.build(dev, b"\x09" * 32, INFO, os.urandom).device.pub == pub


def test_refusals_and_their_codes():
    d = device()
    assert _rc(d.public_key) == lc.E_NO_KEY
    assert _rc(d.sign, "message", b"x") == lc.E_NO_KEY
    pub = d.generate_key(False)
    sc = fwscenario.Scenario(pub)
    assert _rc(d.submit_update, sc.update(1, 2), sc.now(2)) == lc.E_NOT_PROVISIONED
    d.set_checkpoint(sc.checkpoint(1), fwscenario.DAY, sc.uuid, False)
    gen = d.store.generation
    assert _rc(d.submit_update, sc.update(1, 2), sc.chain.time_at(1) - 1) == lc.E_TIME_FLOOR
    # the trusting period (1 day) has run out by the Pi's clock: not verified, state kept
    with pytest.raises(Exception) as e:
        d.submit_update(sc.update(1, 2), sc.chain.time_at(1) + 2 * fwscenario.DAY)
    assert lc.error_code(e.value) == lc.E_VERIFY
    assert _rc(d.sign, "ballot\x00", b"x") == lc.E_REFUSED
    assert _rc(d.sign, "message", b"x" * (lc.MAX_SIGN_BYTES + 1)) == lc.E_TOO_LARGE
    assert _rc(d.set_checkpoint, sc.checkpoint(2), None, None, False) == lc.E_ALREADY
    assert d.store.generation == gen and d.trusted.header.height == 1
    # a record too large to cache refuses the whole update (all or nothing); the default update
    # limits already stop proof ops over 4 KiB, so this device is built with larger ones
    big = fwscenario.Scenario(pub)
    store, err = boot.open_store(RamBlockDevice(4096, 16), b"\x09" * 32, None, os.urandom)
    d2 = Device(store, os.urandom, err, update.Limits(max_proof_op=16384))
    d2.generate_key(False)
    big.record = b"x" * 8000
    big.devices = ics23_build.IavlTree({big.key: big.record}, version=1)
    big.stores = ics23_build.multistore({"devices": big.devices.root})
    big.chain = fwscenario.Chain("fw-test-chain", fwscenario.make_validators(4), fwscenario.START)
    big.chain.run(2, app_hash=lambda h: big.stores.root)
    d2.set_checkpoint(big.checkpoint(1), None, big.uuid, False)
    assert _rc(d2.submit_update, big.update(1, 2), big.now(2)) == lc.E_TOO_LARGE
    assert d2.trusted.header.height == 1


class _FailingReads(RamBlockDevice):
    def readblocks(self, n, buf, offset=0):
        raise OSError(5)  # EIO: a flash the chip cannot read at all


def test_a_flash_that_cannot_be_read_is_reported_not_fatal():
    fw = boot.build(_FailingReads(4096, 16), b"\x09" * 32, INFO, os.urandom)
    st = fw.device.status()
    assert fw.device.store is None and st["store_ok"] is False and "5" in st["store_error"]
    assert _rc(fw.device.generate_key, False) == lc.E_STORE


def test_boot_reads_the_public_key_instead_of_deriving_it(monkeypatch):
    # Deriving the key is a scalar multiplication (most of a boot in pure Python on the chip):
    # generate_key keeps the public key beside the seed and a boot reads it back.
    from lightclient.chip.app import device as device_module
    dev = RamBlockDevice(4096, 16)
    d = boot.build(dev, b"\x09" * 32, INFO, os.urandom).device
    pub = d.generate_key(False)
    assert d.store.get("pub") == pub

    def derive(seed):
        raise AssertionError("boot derived the public key")
    monkeypatch.setattr(device_module.crypto, "ed25519_public_key", derive)
    again = boot.build(dev, b"\x09" * 32, INFO, os.urandom).device
    assert again.pub == pub and again.store_error is None


def test_a_store_without_the_public_key_still_boots_with_it():
    # Stores written before "pub" existed hold only the seed: the key is derived from it.
    from lightclient.chip.crypto import ed25519
    dev = RamBlockDevice(4096, 16)
    d = boot.build(dev, b"\x09" * 32, INFO, os.urandom).device
    seed = b"\x07" * 32
    d.store.commit({"key": seed})
    again = boot.build(dev, b"\x09" * 32, INFO, os.urandom).device
    assert again.pub == ed25519.public_key(seed)


def _xdevices_update(sc, key, value):
    """An update to height 2 whose app hash commits a devices store holding `key` -> `value`
    (the real chain's x/devices layout), with that key's proof."""
    sc.devices = ics23_build.IavlTree({key: value}, version=1)
    sc.stores = ics23_build.multistore({"devices": sc.devices.root})
    sc.chain = fwscenario.Chain("fw-test-chain", fwscenario.make_validators(4), fwscenario.START)
    sc.chain.run(4, app_hash=lambda h: sc.stores.root)
    ops = ics23_build.abci_proof_ops(sc.devices, sc.stores, "devices", key)
    return update_encode.encode_update([sc.chain.blocks[2]], sc.trusted(1),
                                       proofs=[("devices", key, value, ops)])


def test_the_record_at_its_account_address_is_the_chips_on_the_real_chain():
    """On the real chain the record is x/devices' 0x01 || account address, a protobuf the chip
    keeps as proven (docs/chain.md): the chip finds it by its own account key."""
    from lightclient.chip import cosmos_tx as ct
    d = device()
    d.generate_key(False)
    acct = d.generate_account_key(False)
    sc = fwscenario.Scenario(b"\x42" * 32)
    key = b"\x01" + ct.account_address(acct)
    value = b"\x12\x21" + bytes(acct) + b"\x1a\x02{}\x20\x01"
    data = _xdevices_update(sc, key, value)
    d.set_checkpoint(sc.checkpoint(1), None, ct.bech32_address(acct), False)
    _, n, cached = d.submit_update(data, sc.now(2))
    assert n == 1 and cached
    s = d.settings(sc.now(2))
    assert s["record"] == value and s["height"] == 2


def test_another_accounts_x_devices_record_is_not_the_chips():
    from lightclient.chip import cosmos_tx as ct
    d = device()
    d.generate_key(False)
    d.generate_account_key(False)
    sc = fwscenario.Scenario(b"\x42" * 32)
    data = _xdevices_update(sc, b"\x01" + b"\x33" * 20, b"\x20\x01")
    d.set_checkpoint(sc.checkpoint(1), None, None, False)
    _, n, cached = d.submit_update(data, sc.now(2))
    assert n == 1 and not cached
    assert _rc(d.settings) == lc.E_NO_RECORD
