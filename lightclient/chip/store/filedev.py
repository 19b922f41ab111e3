# Block devices and monotonic counters for lightclient.chip.store.store, so the same store code
# runs over a raw flash partition (esp32.Partition, on the chip), a file (the Pi's own cache) or
# RAM (the emulated board, tests).
#
# Both devices behave like NOR flash, as esp32.Partition does: erase (ioctl 6) sets a block to
# 0xFF, writeblocks(n, buf, offset) programs (new = old AND buf, bits only go 1 -> 0). As in
# MicroPython's block protocol, writeblocks(n, buf) WITHOUT an offset erases the blocks first
# (the "simple" interface); the store always passes the offset.
#
# RamBlockDevice and RamCounter use only the shared subset (CPython and MicroPython).
# FileBlockDevice and FileCounter use file objects (fsync where the runtime has it), so they run on
# MicroPython with a filesystem too.

import os
import sys

from lightclient.chip.core.errors import StoreError  # the one StoreError (store.py uses it too)

_ERASED = 0xFF
# An erase is written in pieces of this: a whole 4 KiB block of 0xFF as one bytes object needs
# 4 KiB of contiguous heap, which the chip's 96 KiB heap (the emulated board's flash is a
# FileBlockDevice) may not have after a few commands.
_ERASED_PIECE = b"\xff" * 256
# For the same reason a program is done in pieces on the chip's runtime; elsewhere one program is
# one _write, the step the cache's power-cut tests cut at.
_PROGRAM_STEP = 256 if sys.implementation.name == "micropython" else None


def _and_bytes(old, new):
    # Bitwise AND of two equal-length byte strings, via big integers (fast on both runtimes).
    n = len(new)
    if n == 0:
        return b""
    return (int.from_bytes(bytes(old), "big") & int.from_bytes(bytes(new), "big")).to_bytes(n, "big")


class _BlockDevice:
    def __init__(self, block_size, block_count):
        if block_size <= 0 or block_count <= 0:
            raise StoreError("geometry", "block size and count must be positive")
        self.block_size = block_size
        self.block_count = block_count

    def _range(self, block_num, n, offset):
        if not (0 <= block_num < self.block_count and 0 <= offset):
            raise OSError(22)  # EINVAL, as esp32.Partition raises for an out-of-range access
        start = block_num * self.block_size + offset
        if start + n > self.block_size * self.block_count:
            raise OSError(22)
        return start

    def readblocks(self, block_num, buf, offset=0):
        start = self._range(block_num, len(buf), offset)
        self._read(start, buf)

    def writeblocks(self, block_num, buf, offset=None):
        if offset is None:  # simple protocol: erase the whole blocks, then write
            nblocks = (len(buf) + self.block_size - 1) // self.block_size
            for i in range(nblocks):
                self.ioctl(6, block_num + i)
            offset = 0
        n = len(buf)
        start = self._range(block_num, n, offset)
        step = _PROGRAM_STEP or max(n, 1)
        src = memoryview(buf)
        for i in range(0, n, step):  # NOR programming: new = old AND buf
            old = bytearray(min(step, n - i))
            self._read(start + i, old)
            self._write(start + i, _and_bytes(old, src[i:i + len(old)]))

    def ioctl(self, op, arg):
        if op == 4:
            return self.block_count
        if op == 5:
            return self.block_size
        if op == 6:
            self._range(arg, 0, 0)
            self._erase(arg * self.block_size)
            return 0
        if op in (1, 2, 3):  # init, deinit, sync
            return 0
        return None

    def _erase(self, start):
        """The block at byte `start` set to 0xFF, written in pieces (_ERASED_PIECE)."""
        end = start + self.block_size
        while start < end:
            n = min(end - start, len(_ERASED_PIECE))
            self._put(start, _ERASED_PIECE if n == len(_ERASED_PIECE) else _ERASED_PIECE[:n])
            start += n
        self._done()


class RamBlockDevice(_BlockDevice):
    """NOR-like block device in a bytearray (the emulated board; tests). Starts erased."""

    def __init__(self, block_size=4096, block_count=16, data=None):
        _BlockDevice.__init__(self, block_size, block_count)
        size = block_size * block_count
        if data is None:
            self.data = bytearray(b"\xff" * size)
        else:
            if len(data) != size:
                raise StoreError("geometry", "image size does not match the geometry", size=len(data))
            self.data = bytearray(data)

    def _read(self, start, buf):
        buf[:] = self.data[start:start + len(buf)]

    def _write(self, start, data):
        self.data[start:start + len(data)] = data

    _put = _write

    def _done(self):
        pass


class FileBlockDevice(_BlockDevice):
    """NOR-like block device over a file of block_size * block_count bytes (the Pi's cache).

    A missing file is created erased (0xFF); an existing one must have the right size (or, with
    block_count=None, a size that is a multiple of block_size). Every program and erase is
    flushed and fsynced before it returns, so a commit that returned is on disk.
    """

    def __init__(self, path, block_size=4096, block_count=None):
        self.path = path
        try:
            size = os.stat(path)[6]
            exists = True
        except OSError:
            size = 0
            exists = False
        if block_count is None:
            if not exists or size == 0 or size % block_size:
                raise StoreError("geometry", "block_count needed (file missing or of odd size)", path=path)
            block_count = size // block_size
        _BlockDevice.__init__(self, block_size, block_count)
        want = block_size * block_count
        if exists and size != want:
            raise StoreError("geometry", "file size does not match the geometry", path=path, size=size,
                             expected=want)
        if not exists:
            with open(path, "wb") as f:
                blank = b"\xff" * block_size
                for _ in range(block_count):
                    f.write(blank)
                self._sync(f)
        self._f = open(path, "r+b")

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def _sync(f):
        f.flush()
        fsync = getattr(os, "fsync", None)
        if fsync is not None and hasattr(f, "fileno"):
            fsync(f.fileno())

    def _read(self, start, buf):
        self._f.seek(start)
        n = self._f.readinto(buf)
        if n != len(buf):
            raise OSError(5)  # EIO: the file was truncated under us

    def _put(self, start, data):
        self._f.seek(start)
        self._f.write(data)

    def _done(self):
        self._sync(self._f)

    def _write(self, start, data):
        self._put(start, data)
        self._done()


class RamCounter:
    """Monotonic counter in RAM (tests, the emulated board). read() -> int; advance(n) adds n >= 0."""

    def __init__(self, value=0):
        self.value = value

    def read(self):
        return self.value

    def advance(self, n):
        if n < 0:
            raise StoreError("counter", "a monotonic counter only advances")
        self.value += n


class FileCounter:
    """Monotonic counter in a small file (the Pi). advance() writes a temporary file, fsyncs it and
    renames it over the old one, so a power cut leaves the old or the new value, never neither.

    On the Pi the counter lives beside the store file; it detects an old copy of the store file
    put back alone (keep the counter where the store's image is not restored with it).
    """

    PREFIX = b"mycroft-lc-counter v1 "
    MAX_FILE = 64

    def __init__(self, path):
        self.path = path

    def read(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read(self.MAX_FILE + 1)
        except OSError:
            return 0
        p = self.PREFIX
        if len(data) > self.MAX_FILE or data[:len(p)] != p or data[-1:] != b"\n":
            raise StoreError("counter_file", "counter file is malformed", path=self.path)
        digits = data[len(p):-1]
        if not (1 <= len(digits) <= 20) or not all(0x30 <= c <= 0x39 for c in digits):
            raise StoreError("counter_file", "counter file is malformed", path=self.path)
        return int(digits)

    def advance(self, n):
        if n < 0:
            raise StoreError("counter", "a monotonic counter only advances")
        value = self.read() + n
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(self.PREFIX + str(value).encode() + b"\n")
            FileBlockDevice._sync(f)
        os.rename(tmp, self.path)
        _sync_dir(self.path)
        return value


def _sync_dir(path):
    sync_dir(path.rsplit("/", 1)[0] if "/" in path else ".")


def sync_dir(directory):
    """fsync a directory so a rename in it survives a power cut (POSIX; best effort elsewhere,
    e.g. MicroPython, which cannot open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except (AttributeError, OSError):
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
