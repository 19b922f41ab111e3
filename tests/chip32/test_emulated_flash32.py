"""The emulated board's flash (lightclient/chip/store/filedev.py, run by firmware/emulated32.py
inside the firmware's 96 KiB heap) erases and programs a sector in small pieces: a real
esp32.Partition needs no sector-sized buffer, so neither may the emulation. A self-test after
`boot --mcu` on the chain failed with "store_write: memory allocation failed, allocating 4097
bytes" (the erase's b"\\xff" * 4096) once the heap had no 4 KiB hole left. Here the heap is cut
into 1 KiB holes first, then a sector is erased and programmed, on both devices."""

from tests.chip32.chip32 import run

CODE = r"""
import gc, os
from lightclient.chip.store.filedev import FileBlockDevice, RamBlockDevice
path = %r
try:
    os.remove(path)
except OSError:
    pass
devs = [RamBlockDevice(4096, 2), FileBlockDevice(path, 4096, 2)]
data = bytes(range(256)) * 16          # a sector's worth, made before the heap is cut up
check = bytearray(256)
gc.collect()
cut = [None] * 200                     # made first: growing a list would leave big holes
try:
    for i in range(200):               # the heap full of 1 KiB blocks...
        cut[i] = bytearray(1024)
except MemoryError:
    pass
for i in range(0, 200, 2):             # ...every other one freed: 1 KiB holes only
    cut[i] = None
gc.collect()
try:
    bytearray(4096)
    print("a 4 KiB hole is left: the test cut nothing")
except MemoryError:
    pass
for dev in devs:
    dev.ioctl(6, 1)                    # erase the second sector
    dev.writeblocks(1, data, 0)        # program it
    dev.readblocks(1, check, 1024)
    print(bytes(check) == data[1024:1280])
"""


def test_a_sector_is_erased_and_programmed_with_no_4k_hole_in_the_heap(tmp_path):
    p = run(CODE % str(tmp_path / "flash.img"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.split() == ["True", "True"], p.stdout
