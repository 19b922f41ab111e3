"""The real board's slot backend (lightclient/chip/app/partition_slots.py) on the chip's own
interpreter (MicroPython 1.27, 32-bit): app/ota.py drives two slots and otadata
through tests/firmware/fake_esp32.py's esp32.Partition (ESP-IDF's set_boot, the bootloader's
trial and rollback, mark_app_valid_cancel_rollback, esp_image_verify's checks) over a small
board's flash. One interpreter process: an upload of a release image carrying an ESP-IDF app
image (esptool's), a trial, a rollback, the same image tried again and confirmed. The heap is
larger than the board's 96 KiB: the fake's flash (40 KiB) and the image's hex text live in it,
where a chip has its flash outside the heap."""

import hashlib
import sys

from lightclient.chip.app import release_image as R
from lightclient.chip.crypto import ed25519
from tests.chip32.chip32 import REPO, run

sys.path.insert(0, str(REPO / "tests" / "firmware"))
import esp_app_images as A  # noqa: E402

SEED = hashlib.sha256(b"test release key").digest()
IMG = R.build_image(A.app_image("0.2.0", size=3000), "0.2.0", 1,
                    lambda m: ed25519.sign(SEED, m), kind=R.KIND_APP)

CODE = r"""
import sys
sys.path.insert(0, %(fw)r)
import binascii
import fake_esp32
from lightclient.chip.app import ota, partition_slots
from lightclient.chip.core import cbor

IMG = binascii.unhexlify(%(img)r)
H = binascii.unhexlify(%(h)r)
KEY = binascii.unhexlify(%(key)r)
BOARD = {"name": "tiny", "flash_size": 0xA000, "partitions": [
    {"name": "otadata", "type": "data", "subtype": "ota", "offset": 0, "size": 0x2000},
    {"name": "ota_0", "type": "app", "subtype": "ota_0", "offset": 0x2000, "size": 0x4000},
    {"name": "ota_1", "type": "app", "subtype": "ota_1", "offset": 0x6000, "size": 0x4000}]}


class Store:   # the secure store's get / commit, in RAM
    def __init__(self):
        self.d = {}

    def get(self, k):
        return self.d.get(k)

    def commit(self, changes):
        self.d.update(changes)


chip = fake_esp32.Chip(BOARD)
store = Store()
store.commit({"rel": cbor.dumps({H: 1})})
factory = {"h": None, "v": "0.1.0", "sv": 0, "n": 0}


def start():
    chip.power_on()
    slots, od, running = partition_slots.open_slots(chip.module.Partition, BOARD)
    o = ota.Ota(store, slots, factory, KEY, "tiny", od, running)
    print(o.boot())
    return o


o = start()
off = 0
while off < len(IMG):
    off, match = o.write_chunk(off, IMG[off:off + 2048], len(IMG) if off == 0 else None,
                               H if off == 0 else None)
print("match", match)
o.test(H)
o = start()
o = start()
o.test(H)
o = start()
o.confirm()
o = start()
print("secver", o.security_version(), chip.calls)
"""


def test_the_slot_backend_runs_on_the_chips_interpreter():
    h = hashlib.sha256(IMG).digest()
    p = run(CODE % {"fw": str(REPO / "tests" / "firmware"), "img": IMG.hex(), "h": h.hex(),
                    "key": ed25519.public_key(SEED).hex()}, heap="512K")
    assert p.returncode == 0 and not p.stderr, p.stdout + p.stderr
    assert p.stdout.splitlines() == [
        "slot 0", "match True", "trial of slot 1",
        "rolled back: the trial image was not confirmed", "trial of slot 1", "slot 1",
        "secver 1 [('set_boot', 'ota_1'), ('set_boot', 'ota_1'), "
        "('mark_app_valid_cancel_rollback',)]"]
