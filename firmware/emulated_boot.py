# The emulated board's second-stage bootloader (firmware/emulated32.py calls it at every power-up
# and reset): the slot chosen from otadata (lightclient/chip/app/otadata.py, ESP-IDF's rules), the
# image in it checked (the release image's payload hash, as ESP-IDF's bootloader checks an app
# before it starts it: one that does not verify is marked invalid and the other slot starts), and
# a ROMFS payload (`mycroft-lc board release build`) mounted at /slot with /slot/lib ahead of the
# frozen modules on sys.path, so the firmware imported next is the slot's. Frozen into the chip's
# 32-bit interpreter (firmware/ports/unix32/manifest.py): like ESP-IDF's bootloader it is not
# updated over the air, and its code takes no room in the board's 96 KiB heap.

import binascii
import hashlib
import os
import sys

try:
    import vfs
except ImportError:
    vfs = os


def release(board, state, FileBlockDevice):
    """(release key, [slot 0, slot 1], OtaData, running slot, where the code comes from) when
    STATE.release_key exists, else (None, None, None, 0, "frozen")."""
    if not state:
        return None, None, None, 0, "frozen"
    try:
        with open(state + ".release_key") as f:
            key = binascii.unhexlify(f.read(64))
    except OSError:
        return None, None, None, 0, "frozen"
    from lightclient.chip.app.ota import Slot
    from lightclient.chip.app.otadata import OtaData
    parts = {p["name"]: p for p in board["partitions"]}
    flash = FileBlockDevice(state + ".flash", 4096, board["flash_size"] // 4096)
    slots = [Slot(Window(flash, parts[n]), 4096, parts[n]["size"] // 4096)
             for n in ("ota_0", "ota_1")]
    od = OtaData(Window(flash, parts["otadata"]))
    while True:
        running = od.select()
        found = _image(state + ".flash", parts["ota_%d" % running])
        if found != "bad" or od.event == "none":
            break   # (nothing in otadata and ota_0 damaged: the frozen firmware starts)
        # as ESP-IDF's bootloader: an image that does not verify is not started; its entry is
        # marked invalid, so the previous slot (or ota_0) is chosen
        od.mark_invalid(running)
    note = "frozen"
    if isinstance(found, tuple):
        _mount(state + ".flash", parts["ota_%d" % running], found)
        note = "ota_%d" % running
    return key, slots, od, running, note


class Window:
    """A partition of the flash device: block numbers from the partition's start (as
    esp32.Partition)."""

    def __init__(self, dev, part):
        self.dev, self.first = dev, part["offset"] // 4096
        self.count = part["size"] // 4096

    def _n(self, n):
        if not 0 <= n < self.count:
            raise OSError(22)
        return self.first + n

    def readblocks(self, n, buf, off=0):
        self.dev.readblocks(self._n(n), buf, off)

    def writeblocks(self, n, buf, off=None):
        # the write must stay inside the partition
        self._n(n + ((off or 0) + len(buf) - 1) // 4096)
        self.dev.writeblocks(self._n(n), buf, off)

    def ioctl(self, op, arg):
        if op == 4:
            return self.count
        if op == 6:
            arg = self._n(arg)
        return self.dev.ioctl(op, arg)


ROMFS_MAGIC = b"\xd2\xcd\x31"


def _image(flash_path, part):
    """The slot's release image, checked as the bootloader checks an app: "none" (erased: a
    board as flashed), "bad" (a header, manifest or payload hash that does not verify), "data"
    (verified, not a ROMFS) or (payload offset in the flash, payload length) of a ROMFS payload.
    The release key's signature and approval are the firmware's checks (app/ota.py)."""
    from lightclient.chip.app.release_image import parse_head
    from lightclient.chip.core.errors import DecodeError
    with open(flash_path, "rb") as f:
        f.seek(part["offset"])
        head = f.read(8 + 256 + 64)   # at most: header, manifest (MAX_MANIFEST), signature
        if head[:4] == b"\xff\xff\xff\xff":
            return "none"
        try:
            m, _, _, at = parse_head(head)
        except DecodeError:
            return "bad"
        if at + m["n"] > part["size"]:
            return "bad"
        start = part["offset"] + at
        f.seek(start)
        h = hashlib.sha256()
        left = m["n"]
        magic = None
        while left:
            chunk = f.read(min(left, 4096))
            if not chunk:
                return "bad"
            if magic is None:
                magic = chunk[:3]
            h.update(chunk)
            left -= len(chunk)
        if h.digest() != m["h"]:
            return "bad"
        return (start, m["n"]) if magic == ROMFS_MAGIC else "data"   # ROMFS: extmod/vfs_rom.c


SLOT_MOUNT = "/slot"


def _mount(flash_path, part, found):
    """The slot's ROMFS as vfs.VfsRom, in place: the flash file memory-mapped (emuflash, as an
    ESP32 maps a partition), so the modules' bytecode is not copied into the heap."""
    import emuflash
    start, length = found
    flash = emuflash.map(flash_path, part["offset"], start - part["offset"] + length)
    vfs.mount(vfs.VfsRom(flash[start - part["offset"]:]), SLOT_MOUNT)
    sys.path.insert(0, SLOT_MOUNT + "/lib")
    # what the bootloader imported (frozen) must not stand in for the slot's modules
    for name in [n for n in sys.modules if n == "lightclient" or n.startswith("lightclient.")]:
        del sys.modules[name]
