"""The store's power-cut campaign on the chip's own interpreter (the 32-bit build, frozen store,
native HMAC): a NOR flash simulated inside MicroPython cuts power at every program and erase step
of many commits, and after each cut the store must mount to the old state or the new one.

run() -> {figure: {"value", "unit", ...}}:
  store.chip.powercuts_injected   cuts made (one per step of each commit), goal >= 10,000
  store.chip.powercut_violations  cuts after which the records were neither the old nor the new
                                  ones, or the store did not mount (goal 0)
The simulator follows tests/chip/store/norsim.py (the CPython one the store's tests use): a cut
step does part of its work (programs: nothing, a prefix, a subset of the bits, all; erases:
nothing, a prefix, random bytes, random bits, all), chosen by a seeded generator, and every later
device call fails until power comes back. It is written again here because that one needs
CPython's random.Random.
"""

import json
import re

from bench.chip_bench import run_chip

UPDATES = 200          # commits of a 9 KiB trusted state and 2 KiB of settings
HEAP_KIB = 2048        # the simulated partition (256 KiB) and its snapshot live in the heap

SCRIPT = r"""
import json
from lightclient.chip.store.store import RecordStore, StoreError, CorruptError

class PowerCut(Exception):
    pass

class Rng:  # xorshift32: the same cuts on every run
    def __init__(self, seed):
        self.s = (seed * 2654435761 + 1) & 0xFFFFFFFF or 1
    def next(self):
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        self.s = s
        return s
    def below(self, n):
        return self.next() % n
    def bits(self, nbytes):
        out = bytearray(nbytes)
        for i in range(0, nbytes, 4):
            v = self.next()
            for j in range(min(4, nbytes - i)):
                out[i + j] = (v >> (8 * j)) & 255
        return out

class Nor:
    def __init__(self, ss, sc):
        self.ss, self.sc = ss, sc
        self.data = bytearray(b"\xff" * (ss * sc))
        self.steps = 0
        self.cut_at = None
        self.dead = False
        self.rng = Rng(0)
    def arm(self, k, seed):
        self.cut_at = self.steps + k
        self.rng = Rng(seed)
    def power_on(self):
        self.dead = False
        self.cut_at = None
    def _alive(self):
        if self.dead:
            raise PowerCut()
    def readblocks(self, n, buf, off=0):
        self._alive()
        s = n * self.ss + off
        buf[:] = memoryview(self.data)[s:s + len(buf)]
    def writeblocks(self, n, buf, off=0):
        self._alive()
        self._program(n * self.ss + off, bytes(buf))
    def ioctl(self, op, arg):
        self._alive()
        if op == 4:
            return self.sc
        if op == 5:
            return self.ss
        if op == 6:
            self._erase(arg)
        return 0
    def _cut(self):
        hit = self.cut_at is not None and self.steps == self.cut_at
        self.steps += 1
        return hit
    def _and(self, s, buf):
        n = len(buf)
        if n:
            old = int.from_bytes(bytes(self.data[s:s + n]), "big")
            self.data[s:s + n] = (old & int.from_bytes(buf, "big")).to_bytes(n, "big")
    def _program(self, s, buf):
        if not self._cut():
            self._and(s, buf)
            return
        n = len(buf)
        mode = self.rng.below(4)  # none, prefix, bits, full
        if mode == 1 and n:
            self._and(s, buf[:self.rng.below(n)])
        elif mode == 2 and n:
            old = int.from_bytes(bytes(self.data[s:s + n]), "big")
            clear = old & ~int.from_bytes(buf, "big") & int.from_bytes(self.rng.bits(n), "big")
            self.data[s:s + n] = (old & ~clear).to_bytes(n, "big")
        elif mode == 3:
            self._and(s, buf)
        self._die()
    def _erase(self, b):
        s, size = b * self.ss, self.ss
        if not self._cut():
            self.data[s:s + size] = b"\xff" * size
            return
        mode = self.rng.below(5)  # none, prefix, bytes, bits, full
        if mode == 1:
            k = self.rng.below(size)
            self.data[s:s + k] = b"\xff" * k
        elif mode == 2:
            for i in range(size):
                if self.rng.next() & 1:
                    self.data[s + i] = 0xFF
        elif mode == 3:
            r = self.rng.bits(size)
            for i in range(size):
                self.data[s + i] |= r[i]
        elif mode == 4:
            self.data[s:s + size] = b"\xff" * size
        self._die()
    def _die(self):
        self.dead = True
        self.cut_at = None
        raise PowerCut()

SECRET = bytes(range(32))
def update(i):
    t = bytes([i % 256]) * 9216
    if i % 2:  # as the device commits its packed state: a list of buffers, written in order
        t = [t[:1000], t[1000:5001], t[5001:]]
    return {"trusted": t, "settings": bytes([(i * 7) % 256]) * 2048}
def flat(ch):
    return {k: (b"".join(v) if isinstance(v, list) else v) for k, v in ch.items()}
def records(flash):
    r = RecordStore(flash, SECRET, max_value=16384)
    r.mount()
    return {n: r.get(n) for n in r.names()}

flash = Nor(4096, 64)
st = RecordStore(flash, SECRET, max_value=16384)
st.format()
expected = {}
cuts = bad = 0
img = bytearray(len(flash.data))    # the flash before and after each commit, allocated once
after = bytearray(len(flash.data))
for i in range(UPDATES):
    ch = update(i)
    img[:] = flash.data
    s0 = flash.steps
    st.commit(ch)
    steps = flash.steps - s0
    after[:] = flash.data
    new = dict(expected)
    new.update(flat(ch))
    for k in range(steps):
        flash.data[:] = img
        flash.power_on()
        s = RecordStore(flash, SECRET, max_value=16384)
        s.mount()
        flash.arm(k, i * 1000 + k)
        try:
            s.commit(ch)
        except PowerCut:
            pass
        flash.power_on()
        cuts += 1
        try:
            got = records(flash)
        except (StoreError, CorruptError):
            got = None
        if got != expected and got != new:
            bad += 1
    flash.data[:] = after
    st = RecordStore(flash, SECRET, max_value=16384)
    st.mount()
    expected = new
print("CAMPAIGN", json.dumps({"cuts": cuts, "violations": bad}))
"""


def campaign(work, updates=UPDATES):
    r = run_chip(work, {"UPDATES": updates}, SCRIPT, HEAP_KIB, timeout=3600)
    m = re.search(r"CAMPAIGN (.*)", r.stdout)
    if r.returncode != 0 or m is None:
        raise RuntimeError("power-cut campaign failed: " + r.stderr[-1500:])
    return json.loads(m.group(1))


def run():
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory(prefix="chipcuts-") as d:
        c = campaign(Path(d))
    return {
        "store.chip.powercuts_injected": {
            "value": c["cuts"], "unit": "cuts", "goal": ">= 10000",
            "note": "on the chip's 32-bit interpreter (frozen store, its crypto backend): a cut "
                    "at every program and erase step of %d commits of 9 KiB + 2 KiB (every other 9 KiB "
                    "value given as parts, as the device commits its packed state)" % UPDATES},
        "store.chip.powercut_violations": {"value": c["violations"], "unit": "cuts", "goal": "0"},
    }


if __name__ == "__main__":
    print(run())
