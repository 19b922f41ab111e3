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
import io
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
        if found != "bad" or od.event != "trial":
            break
        # as ESP-IDF's bootloader: an image that does not verify is not started
        od.mark_invalid(running)
    note = "frozen"
    if isinstance(found, tuple):
        _mount(state + ".flash", found)
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
    board as flashed), "bad" (a header or payload hash that does not verify), "data" (verified,
    not a ROMFS) or (payload offset in the flash, payload length) of a ROMFS payload."""
    with open(flash_path, "rb") as f:
        f.seek(part["offset"])
        head = f.read(8)
        if head[:4] == b"\xff\xff\xff\xff":
            return "none"
        if head[:4] != b"MLCI" or head[4] != 1:
            return "bad"
        n = (head[6] << 8) | head[7]
        m = f.read(n)
        # the manifest's "h" (payload SHA-256) and "n" (length), found by their CBOR keys
        i, j = m.find(b"\x61h\x58\x20"), m.find(b"\x61n")
        if i < 0 or j < 0:
            return "bad"
        want = m[i + 4:i + 36]
        length = _cbor_uint(m, j + 2)
        start = part["offset"] + 8 + n + 64
        if length is None or 8 + n + 64 + length > part["size"]:
            return "bad"
        f.seek(start)
        h = hashlib.sha256()
        left = length
        magic = None
        while left:
            chunk = f.read(min(left, 4096))
            if not chunk:
                return "bad"
            if magic is None:
                magic = chunk[:3]
            h.update(chunk)
            left -= len(chunk)
        if h.digest() != want:
            return "bad"
        return (start, length) if magic == ROMFS_MAGIC else "data"


def _cbor_uint(m, i):
    if i >= len(m):
        return None
    b = m[i]
    if b < 24:
        return b
    size = {24: 1, 25: 2, 26: 4}.get(b)
    if size is None or i + 1 + size > len(m):
        return None
    return int.from_bytes(m[i + 1:i + 1 + size], "big")


def _varuint(f):
    v = 0
    while True:
        b = f.read(1)[0]
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            return v


class RomFS:
    """MicroPython's ROMFS format (extmod/vfs_rom.c) read from the flash file in place: only the
    index of its files is kept in RAM (the payload would not fit the 96 KiB heap, which
    vfs.VfsRom needs it in; on a chip the partition is memory-mapped instead)."""

    def __init__(self, path, start, length):
        self.f = open(path, "rb")
        self.files, self.dirs = {}, {"": []}
        self.f.seek(start)
        if self.f.read(3) != ROMFS_MAGIC:
            raise OSError(22)
        n = _varuint(self.f)
        self._records(self.f.tell(), self.f.tell() + n, "")

    def _records(self, pos, end, prefix):
        while pos < end:
            self.f.seek(pos)
            kind, n = _varuint(self.f), _varuint(self.f)
            body = self.f.tell()
            if kind in (4, 5):   # directory, file
                name = self.f.read(_varuint(self.f)).decode()
                path = prefix + "/" + name if prefix else name
                self.dirs[prefix].append(name)
                if kind == 4:
                    self.dirs[path] = []
                    self._records(self.f.tell(), body + n, path)
                else:
                    k, m = _varuint(self.f), _varuint(self.f)
                    if k != 2:   # only verbatim data (what VfsRomWriter writes for files)
                        raise OSError(22)
                    self.files[path] = (self.f.tell(), m)
            pos = body + n

    def _p(self, path):
        return path.strip("/")

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        self.f.close()

    def stat(self, path):
        p = self._p(path)
        if p in self.files:
            return (0x8000, 0, 0, 0, 0, 0, self.files[p][1], 0, 0, 0)
        if p in self.dirs:
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        raise OSError(2)

    def ilistdir(self, path):
        p = self._p(path)
        for name in self.dirs.get(p, ()):
            full = p + "/" + name if p else name
            yield (name, 0x4000 if full in self.dirs else 0x8000, 0)

    def open(self, path, mode):
        p = self._p(path)
        if p not in self.files or "w" in mode:
            raise OSError(2)
        return RomFile(self.f, *self.files[p])

    def chdir(self, path):
        pass

    def getcwd(self):
        return "/"


class RomFile(io.IOBase):
    def __init__(self, f, start, length):
        self.f, self.pos, self.end = f, start, start + length

    def readinto(self, buf):
        n = min(len(buf), self.end - self.pos)
        self.f.seek(self.pos)
        got = self.f.readinto(memoryview(buf)[:n]) if n else 0
        self.pos += got
        return got

    def ioctl(self, req, arg):
        return 0


SLOT_MOUNT = "/slot"


def _mount(flash_path, found):
    vfs.mount(RomFS(flash_path, found[0], found[1]), SLOT_MOUNT)
    sys.path.insert(0, SLOT_MOUNT + "/lib")
    # what the bootloader imported (frozen) must not stand in for the slot's modules
    for name in [n for n in sys.modules if n == "lightclient" or n.startswith("lightclient.")]:
        del sys.modules[name]
