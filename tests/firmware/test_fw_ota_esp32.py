# A real board's firmware updates: firmware/main.py on CPython with a stand-in for MicroPython's
# esp32 module (fake_esp32.py: esp32.Partition over the board's whole flash, ESP-IDF's otadata
# rules for set_boot, mark_app_valid_cancel_rollback and the bootloader, and esp_image_verify's
# checks at set_boot), so the slots are lightclient/chip/app/partition_slots.py's. The release
# images carry ESP-IDF app images written by esptool (esp_app_images.py); the slot receives the
# app alone. The same upload / test / confirm / rollback / power-cut cases as the emulated
# board's (test_fw_ota.py, whose helpers drive it).
import collections
import hashlib
import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest

from smp import image_management as smpimg

from lightclient.chip.app import ota, otadata, release_image as R
from lightclient.chip.crypto import ed25519

import esp_app_images as A
import fake_esp32
import test_fw_ota as base

REPO = Path(__file__).resolve().parents[2]
BOARD = json.loads((REPO / "board" / "esp32-devkitc.json").read_text())


def app_release(version, sv, seed=base.REL_SEED, app=None):
    """A release image whose payload is an ESP-IDF app image (esptool's)."""
    return R.build_image(app or A.app_image(version), version, sv,
                         lambda m: ed25519.sign(seed, m), kind=R.KIND_APP)


V2 = app_release("0.2.0", 1)
V3 = app_release("0.3.0", 2)
UNSIGNED = app_release("0.2.1", 1, seed=base.OTHER_SEED)
UNAPPROVED = app_release("0.4.0", 3)
t = bytearray(app_release("0.2.2", 1))
t[-100] ^= 1
TAMPERED = bytes(t)   # approved under its own hash, but its payload is not the signed one
# signed and approved, but the app's segment data no longer matches its checksum and digest:
# only ESP-IDF's own verification (set_boot) can refuse it
BROKEN = app_release("0.2.3", 1, app=A.flipped(A.app_image("0.2.3"), 1000))
APPROVED = [(V2, 1, "0.2.0"), (V3, 2, "0.3.0"), (UNSIGNED, 1, "0.2.1"), (TAMPERED, 1, "0.2.2"),
            (BROKEN, 1, "0.2.3"), (base.V2, 1, "0.2.0")]


class Rebooted(Exception):
    pass


@pytest.fixture(scope="module")
def main_py():
    """firmware/main.py imported once with stand-ins for esp32 and machine; each board sets
    main.esp32 to its own chip's module."""
    saved = {k: sys.modules.get(k) for k in ("esp32", "machine")}
    chip = fake_esp32.Chip(BOARD)

    def reset():
        raise Rebooted
    sys.modules["esp32"] = chip.module
    sys.modules["machine"] = types.SimpleNamespace(
        UART=None, reset=reset, unique_id=lambda: b"\x24\x0a\xc4\x01\x02\x03",
        mem32=collections.defaultdict(int))
    try:
        spec = importlib.util.spec_from_file_location("fw_main_esp32",
                                                      REPO / "firmware" / "main.py")
        main = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(main)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return main


@pytest.fixture(scope="module")
def chain():
    return base.ReleaseChain(b"\x42" * 32, board=BOARD["name"], approved=APPROVED)


class ChipBoard(base.Board):
    """An ESP32 (fake_esp32.Chip) running firmware/main.py: each boot is a power-up (ESP-IDF's
    bootloader, then main.build), the image group's requests go to the firmware it built."""

    def __init__(self, main, chip=None):
        self.main = main
        self.chip = chip or fake_esp32.Chip(BOARD)
        self.board = dict(BOARD, release_key=base.REL_PUB.hex())
        self.release_key = base.REL_PUB
        self.boot()

    def snapshot(self):
        return bytes(self.chip.flash), dict(self.chip.nvs)

    def _start(self):
        self.chip.power_on()
        self.main.esp32 = self.chip.module
        self.fw = self.main.build(self.board)
        return self.fw.info.get("boot")

    def slot_bytes(self, label, n):
        p = self.chip.part(label)
        return bytes(self.chip.flash[p["offset"]:p["offset"] + n])


def provisioned(main, chain, **kw):
    b = ChipBoard(main, **kw)
    d = b.fw.device
    d.generate_key(False)
    d.set_checkpoint(chain.checkpoint(1), None, None, False)
    d.submit_update(chain.release_update(1, 2, [img for img, _, _ in APPROVED[:3]]),
                    chain.now(2))
    d.submit_update(chain.release_update(2, 3, [img for img, _, _ in APPROVED[3:]]),
                    chain.now(3))
    return b


def upload_refused(b, img):
    """The first upload request of `img` -> the chip's error answer."""
    return b.ask(smpimg.ImageUploadWriteRequest(off=0, data=img[:2048], image=0, len=len(img),
                                                sha=hashlib.sha256(img).digest()),
                 smpimg.ImageUploadWriteResponse)


def test_the_chip_finds_its_slots_by_the_boards_labels(main_py):
    b = ChipBoard(main_py)
    o = b.fw.device.ota
    assert o is not None and o.running == 0 and b.fw.info["boot"] == "slot 0"
    assert [s.size for s in o.slots] == [0x160000, 0x160000]
    assert o.release_key == base.REL_PUB and all(s.app for s in o.slots)
    # a board definition of the one-`factory` layout (or a chip running from it): no update
    old = dict(BOARD, partitions=[p for p in BOARD["partitions"] if p["name"] != "ota_1"])
    b.board = old
    b.boot()
    assert b.fw.device.ota is None


def test_signed_and_approved_image_is_tried_then_confirmed_through_esp_idf(main_py, chain):
    b = provisioned(main_py, chain)
    assert b.running() == "0.1.0"
    r = b.upload(V2, chunk=100)     # the release head spans two requests
    assert r.off == len(V2) and r.match is True
    b.test_image(V2)
    assert b.chip.calls == [("set_boot", "ota_1")]
    assert b.boot() == "trial of slot 1" and b.chip.running == "ota_1"
    assert b.running() == "0.2.0" and b.fw.device.status()["image_trial"]
    b.confirm()
    assert b.chip.calls[-1] == ("mark_app_valid_cancel_rollback",)
    assert b.boot() == "slot 1" and b.running() == "0.2.0"
    assert b.fw.device.status()["security_version"] == 1
    # the slot holds the app image itself, as ESP-IDF's bootloader wants it
    app = A.app_image("0.2.0")
    assert b.slot_bytes("ota_1", len(app) + 16) == app + b"\xff" * 16


@pytest.mark.parametrize("img", [TAMPERED, UNAPPROVED])
def test_refused_images_never_reach_set_boot(main_py, chain, img):
    b = provisioned(main_py, chain)
    b.upload(img)
    assert b.test_image(img) == {"err": {"group": 1, "rc": ota.IMG_INVALID_HASH}}
    assert b.chip.calls == []
    assert b.boot() == "slot 0" and b.running() == "0.1.0"


@pytest.mark.parametrize("img,rc", [(UNSIGNED, ota.IMG_INVALID_HASH),
                                    (base.V2, ota.IMG_INVALID_IMAGE_HEADER)])
def test_an_unsigned_or_romfs_image_is_refused_before_a_block_is_written(main_py, chain, img,
                                                                         rc):
    """The head is checked first: the release key's signature, and the payload kind (a ROMFS
    is the emulated board's; a real chip's slot takes an ESP-IDF app)."""
    b = provisioned(main_py, chain)
    before = b.slot_bytes("ota_1", 0x160000)
    assert upload_refused(b, img) == {"err": {"group": 1, "rc": rc}}
    assert b.slot_bytes("ota_1", 0x160000) == before
    assert b.boot() == "slot 0" and b.running() == "0.1.0"


def test_esp_idf_refuses_an_app_image_that_does_not_verify(main_py, chain):
    """A signed, approved release whose app has one flipped byte: ESP-IDF's set_boot
    (esp_image_verify: the checksum) refuses it, otadata is unchanged, the old image runs on."""
    b = provisioned(main_py, chain)
    od = b.chip.part("otadata")
    before = b.slot_bytes("otadata", od["size"])
    b.upload(BROKEN)
    assert b.test_image(BROKEN) == {"err": {"group": 1, "rc": ota.IMG_INVALID_IMAGE_HEADER}}
    assert b.chip.calls == [("set_boot", "ota_1"), ("refused", "checksum")]
    assert b.slot_bytes("otadata", od["size"]) == before
    assert b.boot() == "slot 0" and b.running() == "0.1.0"


def test_a_trial_not_confirmed_is_rolled_back_by_the_bootloader(main_py, chain):
    b = provisioned(main_py, chain)
    b.upload(V2)
    b.test_image(V2)
    assert b.boot() == "trial of slot 1"
    assert b.boot() == "rolled back: the trial image was not confirmed"
    assert b.chip.running == "ota_0" and b.running() == "0.1.0"
    assert b.fw.device.status()["security_version"] == 0
    b.test_image(V2)            # the slot still holds it: tried again, then kept
    assert b.boot() == "trial of slot 1"
    b.confirm()
    assert b.boot() == "slot 1" and b.running() == "0.2.0"


def test_an_image_failing_its_self_check_is_marked_invalid_and_the_chip_resets(main_py, chain,
                                                                              monkeypatch):
    b = provisioned(main_py, chain)
    b.upload(V2)
    b.test_image(V2)
    p = b.chip.part("ota_1")
    b.chip.flash[p["offset"] + 5000] ^= 0x10   # the slot changed between the check and the boot
    b.chip.power_on()
    b.main.esp32 = b.chip.module
    monkeypatch.setattr(b.main, "load_board", lambda: b.board)
    monkeypatch.setattr(b.main, "open_uart", lambda board: None)
    with pytest.raises(Rebooted):              # main(): machine.reset() before serving
        b.main.main()
    entries = otadata.OtaData(b.fw.device.ota.otadata.dev).entries()
    assert (2, otadata.INVALID) in entries     # the trial's entry, marked by the firmware
    assert b.boot() == "slot 0" and b.running() == "0.1.0"


def test_an_upload_cancels_a_pending_slot_in_esp_idfs_format(main_py, chain):
    b = provisioned(main_py, chain)
    b.upload(V2)
    b.test_image(V2)
    b.upload(V3)                     # before the reset: the pending start is cancelled
    assert b.boot() == "slot 0"
    b.upload(V3)
    b.test_image(V3)
    assert b.boot() == "trial of slot 1" and b.running() == "0.3.0"


def test_the_entries_esp_idf_writes_are_the_ones_the_emulated_board_writes(main_py, chain):
    """The same update on both boards leaves otadata byte for byte the same (the emulated
    bootloader's app/otadata.py against ESP-IDF's rules in fake_esp32)."""
    b = provisioned(main_py, chain)
    e = base.provisioned(base.ReleaseChain(b"\x42" * 32))   # test_fw_ota's board "test"
    od = b.chip.part("otadata")
    for step in ("upload", "test", "boot", "confirm", "boot"):
        for x, img in ((b, V2), (e, base.V2)):
            if step == "upload":
                x.upload(img)
            elif step == "test":
                x.test_image(img)
            elif step == "boot":
                x.boot()
            else:
                x.confirm()
        assert bytes(b.chip.flash[od["offset"]:od["offset"] + 8192]) == \
            bytes(e.otadata_dev.data), step
    assert otadata.OtaData(b.fw.device.ota.otadata.dev).select() == 1


def test_a_power_cut_at_every_flash_operation_leaves_old_or_new(main_py, chain):
    start = provisioned(main_py, chain).snapshot()
    cuts = n = 0
    while True:
        chip = fake_esp32.Chip(BOARD, flash=start[0], nvs=start[1])
        b = ChipBoard(main_py, chip=chip)
        chip.cut_after = n
        try:
            b.upload(V2, chunk=4096)
            b.test_image(V2)
            b.boot()
            b.confirm()
            b.boot()
            finished = True
        except fake_esp32.PowerCut:
            finished = False
        chip.cut_after = None
        b.boot()   # power back on
        assert b.fw.device.store is not None, "store lost at cut %d" % n
        assert b.running() in ("0.1.0", "0.2.0"), n
        if finished:
            assert b.running() == "0.2.0"
            break
        cuts += 1
        n += 1
    assert cuts > 20


def test_a_release_build_takes_its_frozen_key_and_ignores_the_one_in_board_json(main_py, chain,
                                                                                monkeypatch):
    """firmware/main.py: a development board (open eFuses) may take the key of /board.json and
    says so; a release build has the key frozen in (app/release_key.py) and never reads
    board.json, so images signed by the board.json key are refused; a locked board without a
    frozen key takes no key at all."""
    from lightclient.chip.app import lc_group
    b = provisioned(main_py, chain)
    assert lc_group.status(b.fw, {}, 0)["release_key_source"] == main_py.FROM_BOARD
    assert b.fw.device.ota.release_key == base.REL_PUB
    other = ed25519.public_key(base.OTHER_SEED)
    monkeypatch.setattr(main_py.frozen, "RELEASE_KEY", other.hex())
    b.boot()                                   # board.json still names REL_PUB
    assert b.fw.info["release_key_source"] == main_py.FROZEN
    assert b.fw.device.ota.release_key == other
    assert upload_refused(b, V2) == {"err": {"group": 1, "rc": ota.IMG_INVALID_HASH}}
    b.upload(UNSIGNED)                         # signed by the frozen key: taken
    b.test_image(UNSIGNED)
    assert b.boot() == "trial of slot 1" and b.running() == "0.2.1"
    monkeypatch.setattr(main_py.frozen, "RELEASE_KEY", None)
    monkeypatch.setattr(main_py, "key_protection", lambda chip: "yes (release board)")
    b.boot()
    assert (b.fw.device.ota.release_key, b.fw.info["release_key_source"]) == \
        (None, main_py.NO_KEY)


@pytest.mark.parametrize("chip", ["esp32", "esp32c3", "esp32s3"])
def test_the_stand_ins_image_check_agrees_with_esptools_layout(chip):
    """fake_esp32.app_image_fault (esp_image_verify's checks) on images esptool writes: a
    well-formed one passes, and each damage is found by the check ESP-IDF would fail."""
    app = A.app_image("x", chip=chip)
    cid = fake_esp32.CHIP_IDS[chip]
    slot = app + b"\xff" * 4096
    assert fake_esp32.app_image_fault(slot, 0, len(slot), cid) is None
    other = fake_esp32.CHIP_IDS["esp32c3" if chip == "esp32" else "esp32"]
    assert fake_esp32.app_image_fault(slot, 0, len(slot), other) == "chip id"
    for at, fault in ((0, "bad magic"), (1000, "checksum"), (2, "sha256"),
                      (len(app) - 1, "sha256"), (24 + 4, "segment length")):
        bad = A.flipped(slot, at)
        assert fake_esp32.app_image_fault(bad, 0, len(bad), cid) == fault, at
    assert fake_esp32.app_image_fault(app, 0, len(app) - 32, cid) == "sha256"   # cut short
