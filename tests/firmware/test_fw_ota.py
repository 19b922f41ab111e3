# Firmware updates on the chip (lightclient/chip/app/ota.py, img_group.py) on CPython over RAM
# flash, spoken to in SMP with the smp package's own image-group messages (what smpmgr sends):
# an image signed by the release key and approved by a release record the chip saw proven
# against a header it verified is installed after a trial boot and a confirmation; unsigned,
# tampered, unapproved and older images are refused with the old image still running; a trial
# that is not confirmed, or that fails its self-check, is rolled back; power cuts at every
# flash operation of an upload and a swap leave a bootable chip on the old or the new image.
import hashlib
import os

import pytest
from smp import image_management as smpimg

from lightclient.chip.app import boot, ota, otadata, release_image as R
from lightclient.chip.core import update_encode
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import ed25519
from lightclient.chip.smp import header as H
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.scenarionet import ics23_build

import fwscenario

REL_SEED = hashlib.sha256(b"test release key").digest()
REL_PUB = ed25519.public_key(REL_SEED)
OTHER_SEED = hashlib.sha256(b"not the release key").digest()
SECRET = b"\x09" * 32
SLOT_SECTORS = 8


def image(version, sv, seed=REL_SEED, size=9000):
    payload = hashlib.sha256(version.encode()).digest() * (size // 32)
    return R.build_image(payload, version, sv, lambda m: ed25519.sign(seed, m))


V2 = image("0.2.0", 1)
V3 = image("0.3.0", 2)
OLD = image("0.1.5", 0)
UNSIGNED = image("0.2.1", 1, seed=OTHER_SEED)
UNAPPROVED = image("0.4.0", 3)
t = bytearray(image("0.2.2", 1))
t[-1] ^= 1
TAMPERED = bytes(t)   # approved under its own hash, but its payload is not the signed one
APPROVED = [(V2, 1, "0.2.0"), (V3, 2, "0.3.0"), (OLD, 0, "0.1.5"), (UNSIGNED, 1, "0.2.1"),
            (TAMPERED, 1, "0.2.2")]


class ReleaseChain(fwscenario.Scenario):
    """The firmware scenario's chain with a "releases" store in x/releases' layout: the records
    governance proposals wrote (one proposal each), proven to the chip in an update. The real
    chain's module: tests/localchain/test_chain_releases.py."""

    def __init__(self, pub, board="test", approved=None):
        """approved: [(image, security version, version)] with a record (default APPROVED)."""
        fwscenario.Scenario.__init__(self, pub)
        self.records = dict(R.record_for(img, sv, v, board, n + 1)
                            for n, (img, sv, v) in enumerate(approved or APPROVED))
        self.releases = ics23_build.IavlTree(self.records, version=1)
        self.stores = ics23_build.multistore({
            "bank": ics23_build.IavlTree({b"b": b"1"}, 1).root,
            "devices": self.devices.root, "releases": self.releases.root})
        self.chain = fwscenario.Chain("fw-test-chain", fwscenario.make_validators(4),
                                      fwscenario.START)
        self.chain.run(16, app_hash=lambda h: self.stores.root)

    def release_update(self, frm, to, images):
        proofs = []
        for img in images:
            key = R.RECORD_PREFIX + hashlib.sha256(img).digest()
            ops = ics23_build.abci_proof_ops(self.releases, self.stores, "releases", key)
            proofs.append(("releases", key, self.records[key], ops))
        steps = [self.chain.blocks[h] for h in range(frm + 1, to + 1)]
        return update_encode.encode_update(steps, self.trusted(frm), proofs=proofs)


class Board:
    """A chip: its store's flash, the otadata partition and two slots survive reboots
    (`boot()` runs the bootloader's slot choice and builds the firmware again from them, as a
    reset does)."""

    def __init__(self, release_key=REL_PUB, flash=None):
        """flash: (store bytes, [slot bytes], otadata bytes) to start from, else a blank chip."""
        if flash is None:
            self.store_dev = RamBlockDevice(4096, 16)
            self.slot_devs = [RamBlockDevice(4096, SLOT_SECTORS) for _ in range(2)]
            self.otadata_dev = RamBlockDevice(4096, 2)
        else:
            self.store_dev = RamBlockDevice(4096, 16, flash[0])
            self.slot_devs = [RamBlockDevice(4096, SLOT_SECTORS, s) for s in flash[1]]
            self.otadata_dev = RamBlockDevice(4096, 2, flash[2])
        self.release_key = release_key
        if flash is None:
            self.boot()

    def snapshot(self):
        return (bytes(self.store_dev.data), [bytes(d.data) for d in self.slot_devs],
                bytes(self.otadata_dev.data))

    def boot(self):
        """A reset -> what the firmware says of this start (an image failing its self-check
        asks for one more reset, done here as the chip does it)."""
        said = self._start()
        if self.fw.device.ota is not None and self.fw.device.ota.reboot_needed:
            self._start()
        return said

    def _start(self):
        info = {"board": "test", "chip": "esp32", "firmware_hash": "ab" * 32,
                "release_key": self.release_key}
        slots = [ota.Slot(d, 4096, SLOT_SECTORS) for d in self.slot_devs]
        od = otadata.OtaData(self.otadata_dev)
        running = od.select()
        self.fw = boot.build(self.store_dev, SECRET, info, os.urandom, slots=slots,
                             otadata=od, running=running)
        return self.fw.info.get("boot")

    def ask(self, req, rsp_type):
        """One smp request object -> the smp response (or the error's payload dict)."""
        raw = self.fw.handle(bytes(req))
        rh, p = H.decode_message(raw)
        assert rh.group == 1
        if "err" in p or "rc" in p and "off" not in p and "images" not in p:
            return p
        return rsp_type.loads(raw)

    def upload(self, img, chunk=2048):
        sha = hashlib.sha256(img).digest()
        off = 0
        while off < len(img):
            first = off == 0
            req = smpimg.ImageUploadWriteRequest(
                off=off, data=img[off:off + chunk], image=0 if first else None,
                len=len(img) if first else None, sha=sha if first else None)
            r = self.ask(req, smpimg.ImageUploadWriteResponse)
            assert not isinstance(r, dict), r
            off = r.off
        return r

    def test_image(self, img):
        return self.ask(smpimg.ImageStatesWriteRequest(hash=hashlib.sha256(img).digest()),
                        smpimg.ImageStatesWriteResponse)

    def confirm(self):
        return self.ask(smpimg.ImageStatesWriteRequest(confirm=True),
                        smpimg.ImageStatesWriteResponse)

    def states(self):
        return self.ask(smpimg.ImageStatesReadRequest(), smpimg.ImageStatesReadResponse)

    def running(self):
        return [i.version for i in self.states().images if i.active][0]


@pytest.fixture(scope="module")
def chain():
    return ReleaseChain(b"\x42" * 32)


def provisioned(chain, approve=(V2, V3, OLD, UNSIGNED, TAMPERED)):
    b = Board()
    d = b.fw.device
    d.generate_key(False)
    d.set_checkpoint(chain.checkpoint(1), None, None, False)
    if approve:
        d.submit_update(chain.release_update(1, 2, approve[:4]), chain.now(2))
        if len(approve) > 4:
            d.submit_update(chain.release_update(2, 3, approve[4:]), chain.now(3))
    return b


def test_signed_and_approved_image_is_tried_then_confirmed(chain):
    b = provisioned(chain)
    assert b.running() == "0.1.0"
    r = b.upload(V2)
    assert r.off == len(V2) and r.match is True
    st = b.test_image(V2)
    assert [(i.slot, i.version, i.pending) for i in st.images] == [
        (0, "0.1.0", False), (1, "0.2.0", True)]
    assert b.running() == "0.1.0"              # nothing changes before the reset
    assert b.boot() == "trial of slot 1"
    assert b.running() == "0.2.0" and b.fw.device.status()["image_trial"]
    b.confirm()
    assert b.boot() == "slot 1" and b.running() == "0.2.0"
    assert b.fw.device.status()["security_version"] == 1


@pytest.mark.parametrize("img,check,rc", [
    (UNSIGNED, "release_signature", ota.IMG_INVALID_HASH),
    (TAMPERED, "release_payload_hash", ota.IMG_INVALID_HASH),
    (UNAPPROVED, "release_not_approved", ota.IMG_INVALID_HASH),
])
def test_refused_images_leave_the_old_one_running(chain, img, check, rc):
    b = provisioned(chain)
    b.upload(img)
    err = b.test_image(img)
    assert err == {"err": {"group": 1, "rc": rc}}
    with pytest.raises(R.ReleaseError) as e:   # the same refusal, by name
        b.fw.device.ota.check(1, len(img))
    assert e.value.check == check
    assert b.boot() == "slot 0" and b.running() == "0.1.0"


def test_an_older_security_version_is_refused_after_a_newer_was_confirmed(chain):
    b = provisioned(chain)
    for img in (V3,):
        b.upload(img)
        b.test_image(img)
        b.boot()
        b.confirm()
    assert b.fw.device.status()["security_version"] == 2
    for older in (OLD, V2):
        b.upload(older)
        assert b.test_image(older) == {"err": {"group": 1,
                                               "rc": ota.IMG_CURRENT_VERSION_IS_NEWER}}
    assert b.boot() == "slot 1" and b.running() == "0.3.0"


def test_no_record_proven_means_no_update_even_when_signed(chain):
    b = provisioned(chain, approve=())
    b.upload(V2)
    assert b.test_image(V2)["err"]["rc"] == ota.IMG_INVALID_HASH
    assert b.running() == "0.1.0"


def test_a_trial_not_confirmed_is_rolled_back_at_the_next_reset(chain):
    b = provisioned(chain)
    b.upload(V2)
    b.test_image(V2)
    assert b.boot() == "trial of slot 1"
    assert b.boot() == "rolled back: the trial image was not confirmed"
    assert b.running() == "0.1.0" and b.fw.device.status()["security_version"] == 0


def test_an_image_rolled_back_is_tested_again_from_its_slot_without_a_new_upload(chain):
    b = provisioned(chain)
    b.upload(V2)
    b.test_image(V2)
    assert b.boot() == "trial of slot 1"
    assert b.boot().startswith("rolled back") and b.running() == "0.1.0"
    assert b.test_image(V3) == {"err": {"group": 1, "rc": ota.IMG_HASH_NOT_FOUND}}
    st = b.test_image(V2)                       # the slot still holds it: checked again
    assert [(i.slot, i.pending) for i in st.images] == [(0, False), (1, True)]
    assert b.boot() == "trial of slot 1"
    b.confirm()
    assert b.boot() == "slot 1" and b.running() == "0.2.0"


def test_no_upload_over_the_rollback_image_while_a_trial_runs(chain):
    b = provisioned(chain)
    b.upload(V2)
    b.test_image(V2)
    assert b.boot() == "trial of slot 1"
    sha = hashlib.sha256(V3).digest()
    r = b.ask(smpimg.ImageUploadWriteRequest(off=0, data=V3[:512], image=0, len=len(V3),
                                             sha=sha), smpimg.ImageUploadWriteResponse)
    assert r == {"err": {"group": 1, "rc": ota.IMG_ALREADY_PENDING}}
    # nor a test mark of what the other slot holds (the image a rollback returns to)
    assert b.test_image(V2) == {"err": {"group": 1, "rc": ota.IMG_ALREADY_PENDING}}
    assert b.boot().startswith("rolled back") and b.running() == "0.1.0"


def test_an_image_failing_its_self_check_at_boot_is_rolled_back(chain):
    b = provisioned(chain)
    b.upload(V2)
    b.test_image(V2)
    b.slot_devs[1].data[5000] ^= 0x10     # the slot changed between the check and the boot
    assert b.boot().startswith("rolled back: the new image failed its self-check")
    assert b.running() == "0.1.0"


def test_confirming_an_image_that_never_ran_is_denied(chain):
    b = provisioned(chain)
    b.upload(V2)
    r = b.ask(smpimg.ImageStatesWriteRequest(hash=hashlib.sha256(V2).digest(), confirm=True),
              smpimg.ImageStatesWriteResponse)
    assert r == {"err": {"group": 1, "rc": ota.IMG_CONFIRMATION_DENIED}}


def test_a_board_without_a_release_key_takes_no_update(chain):
    b = provisioned(chain)
    b.release_key = None
    b.boot()
    b.upload(V2)
    assert b.test_image(V2)["err"]["rc"] == ota.IMG_INVALID_HASH


class Cut(BaseException):   # not an error the firmware handles: the power is gone
    pass


class CuttingDevice:
    """A RamBlockDevice whose n-th program or erase never happens (the power went)."""

    def __init__(self, dev, budget):
        self.dev, self.budget = dev, budget

    def _spend(self):
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise Cut()

    def readblocks(self, n, buf, off=0):
        self.dev.readblocks(n, buf, off)

    def writeblocks(self, n, buf, off=None):
        self._spend()
        self.dev.writeblocks(n, buf, off)

    def ioctl(self, op, arg):
        if op == 6:
            self._spend()
        return self.dev.ioctl(op, arg)


def update_with_cuts(chain, budget_at, start=None):
    """Upload, test, reset, confirm V2 with the power cut at flash operation `budget_at`; then
    boot again (the next power-up). -> (what runs after the cut and a boot, the board)."""
    b = start or provisioned(chain)
    budget = [budget_at]
    b.store_dev = CuttingDevice(b.store_dev, budget)
    b.slot_devs = [CuttingDevice(d, budget) for d in b.slot_devs]
    b.otadata_dev = CuttingDevice(b.otadata_dev, budget)
    try:
        b.boot()
        b.upload(V2, chunk=4096)
        b.test_image(V2)
        b.boot()
        b.confirm()
        b.boot()
        finished = True
    except Cut:
        finished = False
    b.store_dev = b.store_dev.dev
    b.slot_devs = [d.dev for d in b.slot_devs]
    b.otadata_dev = b.otadata_dev.dev
    b.boot()   # power back on
    return b, finished


def test_a_power_cut_at_every_flash_operation_leaves_old_or_new(chain):
    base = provisioned(chain)
    snapshot = base.snapshot()
    cuts = 0
    n = 0
    while True:
        b, finished = update_with_cuts(chain, n, Board(flash=snapshot))
        assert b.fw.device.store is not None, "store lost at cut %d" % n
        assert b.running() in ("0.1.0", "0.2.0"), n
        if finished:
            assert b.running() == "0.2.0"
            break
        cuts += 1
        n += 1
    assert cuts > 20


def test_the_spec_vector():
    """docs/ota.md, "Test vector"."""
    import re
    doc = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "ota.md")).read()
    block = doc.split("## Test vector")[1]

    def hexrun(label):
        m = re.search("\n" + label + r" +([0-9a-f\s]+?)\n(?:\S|```)", block)
        return bytes.fromhex("".join(m.group(1).split()))
    img = R.build_image(b"mycroft-lc" * 4, "0.2.0", 1, lambda m: ed25519.sign(REL_SEED, m))
    assert img == hexrun("image")
    assert hashlib.sha256(img).digest() == hexrun("hash")
    key, value = R.record_for(img, 1, "0.2.0", "esp32-devkitc", 7)
    assert key == hexrun("key") and value == hexrun("value")
    assert R.decode_record(key, value) == {"h": hexrun("hash"), "sv": 1, "v": "0.2.0",
                                           "board": "esp32-devkitc", "p": 7}
    assert R.check_image(lambda o, n: img[o:o + n], len(img), REL_PUB,
                         {hexrun("hash"): 1}, 1)["v"] == "0.2.0"


def _spoiled_records():
    from lightclient.chip.core import proto
    key, good = R.record_for(V2, 1, "0.2.0", "test", 3)
    h = key[1:]
    f = proto.bytes_field
    return key, good, {
        "too long": good + f(4, "x" * 80),
        "unknown field": good + proto.varint_field(6, 1),
        "repeated field": good + proto.varint_field(2, 1),
        "mistyped field": f(1, h) + f(2, b"\x01") + f(3, "test") + f(4, "0.2.0"),
        "short hash": f(1, h[:31]) + f(3, "test") + f(4, "0.2.0") + proto.varint_field(5, 3),
        "no board": f(1, h) + f(4, "0.2.0") + proto.varint_field(5, 3),
        "no proposal": f(1, h) + f(3, "test") + f(4, "0.2.0"),
        "sv too large": f(1, h) + proto.varint_field(2, 1 << 16) + f(3, "test") + f(4, "0.2.0")
        + proto.varint_field(5, 3),
        "version not utf-8": f(1, h) + f(3, "test") + f(4, b"\xff\xfe") + proto.varint_field(5, 3),
        "truncated": good[:-1],
    }


@pytest.mark.parametrize("what", sorted(_spoiled_records()[2]))
def test_a_malformed_release_record_is_refused_by_name(what):
    key, good, spoiled = _spoiled_records()
    assert R.decode_record(key, good)["v"] == "0.2.0"
    with pytest.raises(DecodeError) as e:
        R.decode_record(key, spoiled[what])
    assert e.value.check in ("release_record", "release_field", "proto_truncated")


def test_a_record_whose_key_names_another_image_is_refused():
    key, good = R.record_for(V2, 1, "0.2.0", "test", 3)
    with pytest.raises(DecodeError) as e:
        R.decode_record(R.RECORD_PREFIX + hashlib.sha256(V3).digest(), good)
    assert e.value.check == "release_record"


def test_a_release_for_another_board_is_refused_and_approves_nothing():
    other = ReleaseChain(b"\x42" * 32, board="esp32-s3-devkitc")
    b = Board()
    d = b.fw.device
    d.generate_key(False)
    d.set_checkpoint(other.checkpoint(1), None, None, False)
    with pytest.raises(R.ReleaseError) as e:
        d.submit_update(other.release_update(1, 2, [V2]), other.now(2))
    assert e.value.check == "release_board"
    b.upload(V2)
    assert b.test_image(V2)["err"]["rc"] == ota.IMG_INVALID_HASH
    assert b.running() == "0.1.0"


def test_an_ota_record_of_the_previous_version_is_read_and_otadata_decides(chain):
    from lightclient.chip.core import cbor
    b = provisioned(chain)
    info = {"h": hashlib.sha256(V2).digest(), "v": "0.2.0", "sv": 1, "n": len(V2)}
    old = {"a": 1, "p": None, "tr": None, "i": [b.fw.device.ota.factory, info]}
    b.fw.device.store.commit({"ota": cbor.dumps(old)})   # the emulation's earlier slot choice
    assert b.boot() == "slot 0" and b.running() == "0.1.0"   # otadata erased: ota_0
    st = b.states()
    assert [(i.slot, i.version, i.active) for i in st.images] == [
        (0, "0.1.0", True), (1, "0.2.0", False)]


def test_the_payload_kind_is_signed_and_each_board_takes_only_its_own():
    """docs/ota.md, "Release image": kind 1 (an ESP-IDF app) is a real chip's, kind 0 (a ROMFS)
    the emulated board's; the kind is inside the signed manifest, so changing it breaks the
    signature; format 1 (no kind) is refused."""
    app = R.build_image(b"\xe9" * 64, "0.2.0", 1, lambda m: ed25519.sign(REL_SEED, m),
                        R.KIND_APP)

    def check(img, kind):
        return R.check_image(lambda o, n: img[o:o + n], len(img), REL_PUB,
                             {hashlib.sha256(img).digest(): 1}, 0, kind)
    assert check(app, R.KIND_APP)["k"] == R.KIND_APP
    with pytest.raises(R.ReleaseError, match="release_kind"):
        check(app, R.KIND_ROMFS)
    assert app.count(b"\x61k\x01") == 1              # CBOR "k": 1
    forged = app.replace(b"\x61k\x01", b"\x61k\x00")
    with pytest.raises(R.ReleaseError, match="release_signature"):
        check(forged, R.KIND_ROMFS)
    with pytest.raises(DecodeError, match="release_format"):
        check(app[:4] + b"\x01" + app[5:], R.KIND_APP)
