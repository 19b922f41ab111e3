"""NOR-flash simulator with power-cut injection, for the secure store's tests (CPython only).

    flash = NorFlash(sector_size=4096, sector_count=16)
    flash.arm(k, seed=1)      # the k-th program/erase step from now (0-based) is cut
    ... store operations ...  # raise PowerCut at step k, and on every later device call
    flash.power_on()          # power back: the device works again, content as the cut left it

Semantics (as a real NOR part and esp32.Partition behave):
- erase (ioctl(6, n)) sets one sector to 0xFF;
- program (writeblocks(n, buf, offset)) can only clear bits: new = old AND buf; writeblocks
  without an offset is MicroPython's simple protocol and erases the sectors first (two steps);
- every erase and every program is one counted step.
A cut step does part of its work, then raises PowerCut, and every later call (read, program,
erase, ioctl) raises PowerCut until power_on(). What part, chosen by a seeded RNG per cut:
- program: nothing written; a random prefix written; a random subset of the bits it would clear
  cleared; all of it written (the cut came just after the operation finished).
- erase: nothing erased; a random prefix set to 0xFF; random bytes set to 0xFF; random bits set
  (each byte an OR of random bits: a half-erased sector); all of it erased.
snapshot()/restore() copy the whole state, so a test can replay one operation with a cut at each
of its steps without replaying the history before it.
"""

from __future__ import annotations

import random


class PowerCut(Exception):
    """Power was lost during (or before) this device call."""


PROGRAM_MODES = ("none", "prefix", "bits", "full")
ERASE_MODES = ("none", "prefix", "bytes", "bits", "full")


class NorFlash:
    def __init__(self, sector_size: int = 4096, sector_count: int = 16):
        self.sector_size = sector_size
        self.sector_count = sector_count
        self.data = bytearray(b"\xff" * (sector_size * sector_count))
        self.steps = 0  # program + erase steps since creation
        self.programs = 0
        self.erases = 0
        self.bytes_programmed = 0
        self.sector_erases = [0] * sector_count
        self.cuts = 0  # cuts that happened
        self.last_cut = None  # (kind, mode) of the last cut
        self._cut_at = None  # absolute step number to cut
        self._rng = random.Random(0)
        self._dead = False
        self.modes = None  # restrict the partial modes (tests)

    # --- power-cut control ----------------------------------------------------------------------

    def arm(self, k: int, seed: int = 0, modes: tuple | None = None) -> None:
        """Cut the k-th program/erase step from now (k = 0: the next one)."""
        self._cut_at = self.steps + k
        self._rng = random.Random(seed)
        self.modes = modes

    def disarm(self) -> None:
        self._cut_at = None

    def power_on(self) -> None:
        self._dead = False
        self._cut_at = None

    @property
    def dead(self) -> bool:
        return self._dead

    def snapshot(self):
        return (bytes(self.data), self.steps, self.programs, self.erases, self.bytes_programmed,
                list(self.sector_erases))

    def restore(self, snap) -> None:
        data, self.steps, self.programs, self.erases, self.bytes_programmed, se = snap
        self.data[:] = data
        self.sector_erases = list(se)
        self._dead = False
        self._cut_at = None

    # --- block protocol -------------------------------------------------------------------------

    def _alive(self):
        if self._dead:
            raise PowerCut("power is off")

    def _check(self, block, n, offset):
        if not (0 <= block < self.sector_count) or offset < 0:
            raise OSError(22, "block out of range")
        start = block * self.sector_size + offset
        if start + n > len(self.data):
            raise OSError(22, "access past the end")
        return start

    def readblocks(self, block, buf, offset=0):
        self._alive()
        start = self._check(block, len(buf), offset)
        buf[:] = self.data[start:start + len(buf)]

    def writeblocks(self, block, buf, offset=None):
        self._alive()
        if offset is None:  # MicroPython's simple protocol erases first
            for i in range((len(buf) + self.sector_size - 1) // self.sector_size):
                self._erase(block + i)
            offset = 0
        start = self._check(block, len(buf), offset)
        self._program(start, bytes(buf))

    def ioctl(self, op, arg):
        self._alive()
        if op == 4:
            return self.sector_count
        if op == 5:
            return self.sector_size
        if op == 6:
            self._check(arg, 0, 0)
            self._erase(arg)
            return 0
        if op in (1, 2, 3):
            return 0
        return None

    # --- steps ----------------------------------------------------------------------------------

    def _cut_now(self) -> bool:
        hit = self._cut_at is not None and self.steps == self._cut_at
        self.steps += 1
        return hit

    def _mode(self, modes):
        allowed = [m for m in modes if self.modes is None or m in self.modes]
        return self._rng.choice(allowed)

    def _program(self, start, buf):
        n = len(buf)
        cut = self._cut_now()
        self.programs += 1
        self.bytes_programmed += n
        if not cut:
            self._and(start, buf)
            return
        mode = self._mode(PROGRAM_MODES)
        if mode == "prefix" and n:
            k = self._rng.randrange(n)
            self._and(start, buf[:k])
        elif mode == "bits":
            # Clear a random subset of the bits this program would clear.
            old = int.from_bytes(self.data[start:start + n], "big")
            clear = old & ~int.from_bytes(buf, "big")
            subset = clear & self._rng.getrandbits(8 * n) if n else 0
            self.data[start:start + n] = (old & ~subset).to_bytes(n, "big")
        elif mode == "full":
            self._and(start, buf)
        self._die(("program", mode))

    def _erase(self, block):
        cut = self._cut_now()
        self.erases += 1
        self.sector_erases[block] += 1
        s = block * self.sector_size
        size = self.sector_size
        if not cut:
            self.data[s:s + size] = b"\xff" * size
            return
        mode = self._mode(ERASE_MODES)
        rng = self._rng
        if mode == "prefix":
            k = rng.randrange(size)
            self.data[s:s + k] = b"\xff" * k
        elif mode == "bytes":
            for i in range(size):
                if rng.random() < 0.5:
                    self.data[s + i] = 0xFF
        elif mode == "bits":
            old = int.from_bytes(self.data[s:s + size], "big")
            self.data[s:s + size] = (old | rng.getrandbits(8 * size)).to_bytes(size, "big")
        elif mode == "full":
            self.data[s:s + size] = b"\xff" * size
        self._die(("erase", mode))

    def _and(self, start, buf):
        n = len(buf)
        if n:
            old = int.from_bytes(self.data[start:start + n], "big")
            self.data[start:start + n] = (old & int.from_bytes(buf, "big")).to_bytes(n, "big")

    def _die(self, what):
        self._dead = True
        self._cut_at = None
        self.cuts += 1
        self.last_cut = what
        raise PowerCut("power cut during %s (%s)" % what)
