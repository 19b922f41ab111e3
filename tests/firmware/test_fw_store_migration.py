# A chip whose store was written before the packed trusted state (version 1, CBOR: the recorded
# image tests/firmware/vectors/store_v1.img, made by record_v1_store.py with that firmware) boots
# as before, never writes at boot, and keeps its state packed from its next commit on, whatever
# that commit is; a power cut at any step of that commit leaves the old store (which still boots)
# or the new one. docs/store-format.md, "The trusted state record".
import hashlib
from pathlib import Path

import pytest

from lightclient.chip.app import boot
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.crypto import ed25519
from lightclient.chip.smp import lc
from lightclient.chip.store.filedev import RamBlockDevice
from tests.chip.store.norsim import NorFlash, PowerCut

import fwscenario
import record_v1_store as rec

IMAGE = Path(__file__).parent / "vectors" / "store_v1.img"
IMAGE_SHA256 = "574593fb724fa97ae7a91e724d953ebab43540b07c1e58844166c8e2c68f2732"
PUB = bytes.fromhex("3f7708d5f5cc2bc633b59d2b3a2ed92e7479220c6f08ade208bebcd8580ab93b")
INFO = {"board": "test"}


def _image():
    data = IMAGE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == IMAGE_SHA256
    return data


def _boot(dev):
    return boot.build(dev, rec.SECRET, INFO, rec.rng_from(b"\x01" * 32)).device


@pytest.fixture(scope="module")
def scenario():
    return fwscenario.Scenario(PUB, owner_pub=ed25519.public_key(rec.OWNER_SEED))


def test_a_version_1_store_boots_unchanged(scenario):
    dev = RamBlockDevice(rec.BLOCK_SIZE, rec.BLOCK_COUNT, _image())
    d = _boot(dev)
    assert d.store_error is None
    assert d.pub == PUB and d.trusted.header.height == 2
    old = d.store.get("trusted")
    assert old[:2] == b"\x84\x01"  # the CBOR array of version 1, not the packed form
    assert d.trusted.next_validators.hash() == trusted_at_rest.decode_trusted(old).next_validators.hash()
    assert d.trusted.header.hash() == scenario.chain.blocks[2].signed_header.header.hash()
    assert d.settings()["record"] == scenario.record
    assert bytes(dev.data) == _image()  # a boot never writes


def test_the_next_update_writes_the_packed_form(scenario):
    dev = RamBlockDevice(rec.BLOCK_SIZE, rec.BLOCK_COUNT, _image())
    d = _boot(dev)
    state, proven, cached = d.submit_update(scenario.update(2, 3), scenario.now(3))
    assert state.header.height == 3 and cached
    assert d.store.get("trusted")[:4] == trusted_at_rest.PACKED_MAGIC
    again = _boot(dev)
    assert again.store_error is None and not again._repack
    assert again.trusted.header.height == 3
    assert again.trusted.header_hash == scenario.chain.blocks[3].signed_header.header.hash()
    assert again.trusted.next_validators.hash() == state.next_validators.hash()
    assert again.pub == PUB and again.settings()["height"] == 3
    again.submit_update(scenario.update(3, 4), scenario.now(4))  # and it verifies from there
    assert _boot(dev).trusted.header.height == 4


def test_a_commit_that_does_not_touch_the_state_packs_it_too(scenario):
    # A forced new key (signed by the record's owner) commits only "key" and "pub".
    dev = RamBlockDevice(rec.BLOCK_SIZE, rec.BLOCK_COUNT, _image())
    d = _boot(dev)
    msg = lc.reprovision_message("generate_key", d.pub, d.store.generation, b"")
    new_pub = d.generate_key(True, ed25519.sign(rec.OWNER_SEED, msg))
    assert new_pub != PUB
    assert d.store.get("trusted")[:4] == trusted_at_rest.PACKED_MAGIC
    again = _boot(dev)
    assert again.pub == new_pub and again.trusted.header.height == 2
    assert again.trusted.header.hash() == again.trusted.header_hash


def test_a_power_cut_during_the_migrating_commit_leaves_old_or_new(scenario):
    update, now = scenario.update(2, 3), scenario.now(3)
    flash = NorFlash(rec.BLOCK_SIZE, rec.BLOCK_COUNT)
    flash.data[:] = _image()
    start = flash.snapshot()
    outcomes = set()
    cuts = 0
    for seed in range(1):
        for k in range(64):
            flash.restore(start)
            d = _boot(flash)
            before = flash.cuts
            flash.arm(k, seed)
            try:
                d.submit_update(update, now)
            except (PowerCut, lc.LinkError):
                pass
            flash.power_on()
            if flash.cuts == before:
                break  # k is past the commit's last step
            cuts += 1
            b = _boot(flash)
            assert b.store_error is None, (seed, k, b.store_error)
            h = b.trusted.header.height
            packed = b.store.get("trusted")[:4] == trusted_at_rest.PACKED_MAGIC
            assert (h, packed, b._repack) in ((2, False, True), (3, True, False)), (seed, k)
            assert b.pub == PUB and b.settings()["height"] == h
            if h not in outcomes:  # the survivor goes on (once per outcome: verifying is slow)
                b.submit_update(scenario.update(h, 4), scenario.now(4))
                assert _boot(flash).trusted.header.height == 4
            outcomes.add(h)
    assert outcomes == {2, 3} and cuts >= 10, cuts  # every step of the commit (11 here)



def test_a_changed_byte_of_the_packed_state_on_flash_is_a_typed_store_error(scenario):
    # The packed form is trusted because the store's MACs cover it: a byte changed on flash fails
    # the newest snapshot, and the monotonic counter turns the fallback to the older one into a
    # RollbackError (without a counter, mount falls back to that older, valid state).
    from lightclient.chip.store.filedev import RamCounter
    from lightclient.chip.store.flash_format import HEADER_SIZE
    dev = RamBlockDevice(rec.BLOCK_SIZE, rec.BLOCK_COUNT, _image())
    counter = RamCounter()
    d = boot.build(dev, rec.SECRET, INFO, rec.rng_from(b"\x02" * 32), counter).device
    d.submit_update(scenario.update(2, 3), scenario.now(3))
    snap, e = d.store._snap, d.store._snap.entries["trusted"]
    data_size = rec.BLOCK_SIZE - HEADER_SIZE
    packed = bytes(dev.data)
    for pos in (e.ct_off, e.ct_off + e.length // 2, e.ct_off + e.length - 1):
        sector = (snap.start + pos // data_size) % rec.BLOCK_COUNT
        at = sector * rec.BLOCK_SIZE + HEADER_SIZE + pos % data_size
        dev.data[:] = packed
        dev.data[at] ^= 0x01
        b = boot.build(dev, rec.SECRET, INFO, rec.rng_from(b"\x03" * 32), counter).device
        assert b.trusted is None and b.store is None
        assert b.store_error.check == "rollback", b.store_error
        plain = _boot(dev)  # no counter: the older snapshot, whole and valid
        assert plain.store_error is None and plain.trusted.header.height == 2
        why = " ".join(plain.store.skipped)
        assert "record_mac" in why or "snapshot_mac" in why, why


def test_a_board_with_only_its_ed25519_key_gets_its_account_key_added_in_place(scenario):
    """The recorded store predates the chip's secp256k1 account key: the chip says which step
    adds it, and that step keeps the device key, the trusted state and the record; a power cut
    at any step of its commit leaves the old store (no account key) or the new one."""
    from lightclient.chip.core.errors import LightClientError
    flash = NorFlash(rec.BLOCK_SIZE, rec.BLOCK_COUNT)
    flash.data[:] = _image()
    start = flash.snapshot()
    d = _boot(flash)
    assert d.pub == PUB and d.acct_pub is None
    with pytest.raises(LightClientError) as e:
        d.account_key()
    assert e.value.check == "no_account_key" and "board provision" in str(e.value)
    outcomes, cuts = set(), 0
    for k in range(64):
        flash.restore(start)
        d = _boot(flash)
        before = flash.cuts
        flash.arm(k, 0)
        try:
            d.generate_account_key(False)
        except (PowerCut, lc.LinkError):
            pass
        flash.power_on()
        b = _boot(flash)
        assert b.store_error is None and b.pub == PUB, k        # never bricked, never re-keyed
        assert b.trusted.header.height == 2 and b.settings()["record"] == scenario.record
        outcomes.add(b.acct_pub is not None)
        if flash.cuts == before:
            break       # k is past the commit's last step: the key was added
        cuts += 1
    assert outcomes == {False, True} and cuts >= 5, cuts
    assert len(b.account_key()) == 33
