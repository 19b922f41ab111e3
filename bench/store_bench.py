"""Secure flash store: flash bytes written per update, power cuts survived, time per commit.

run() -> {figure: {"value", "unit", ...}}:
  store.bytes_written_per_update   bytes programmed by one commit of a 9 KiB trusted state and
                                   2 KiB of settings on the boards' partition (64 x 4 KiB NOR
                                   sectors): the whole snapshot plus its sector headers
  store.erases_per_update          sector erases per such commit
  store.bytes_written_per_small_update  a commit changing only a 100-byte record beside them
  store.powercuts_injected         cuts injected by this bench's sweep (a cut at every program and
                                   erase step of 30 such updates, on the simulated NOR flash);
                                   each remounted and checked old-or-new
  store.powercut_violations        cuts after which the state was neither old nor new (goal 0)
  store.commit_seconds             one such commit on CPython (encryption + MACs + programming)
  store.mount_seconds              one mount on CPython (64 headers, verify the 11 KiB snapshot)
  store.mp.commit_seconds          one such commit inside MicroPython 1.27 (WebAssembly port,
                                   RamBlockDevice), wall time in the interpreter
"""

import sys
import time
from pathlib import Path

from lightclient.chip.store.filedev import RamCounter
from lightclient.chip.store.store import RecordStore

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "chip" / "store"))  # the simulated NOR flash of the tests
from norsim import NorFlash, PowerCut  # noqa: E402

SECRET = bytes(range(32))
SECTOR, SECTORS = 4096, 64
TRUSTED, SETTINGS = 9 * 1024, 2 * 1024
MAX_VALUE = 16384


def _update(i):
    return {"trusted": bytes([i % 256]) * TRUSTED, "settings": bytes([(i * 7) % 256]) * SETTINGS}


def _per_update():
    flash = NorFlash(SECTOR, SECTORS)
    st = RecordStore(flash, SECRET, counter=RamCounter(), max_value=MAX_VALUE)
    st.format()
    st.commit(_update(0))
    st.put("peers", bytes(100))
    n = 50
    b0, e0 = flash.bytes_programmed, flash.erases
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        st.commit(_update(i))
    secs = (time.perf_counter() - t0) / n
    per = (flash.bytes_programmed - b0) / n
    erases = (flash.erases - e0) / n
    b1 = flash.bytes_programmed
    st.put("peers", bytes([1]) * 100)
    small = flash.bytes_programmed - b1
    t0 = time.perf_counter()
    for _ in range(5):
        RecordStore(flash, SECRET, max_value=MAX_VALUE).mount()
    mount = (time.perf_counter() - t0) / 5
    return per, erases, small, secs, mount


def _sweep(updates=30):
    flash = NorFlash(SECTOR, SECTORS)
    counter = RamCounter()
    st = RecordStore(flash, SECRET, counter=counter, max_value=MAX_VALUE)
    st.format()
    expected = {}
    cuts = violations = 0
    for i in range(updates):
        ch = _update(i)
        img, ctr = flash.snapshot(), counter.value
        s0 = flash.steps
        st.commit(ch)
        steps = flash.steps - s0
        after, actr = flash.snapshot(), counter.value
        new = dict(expected, **ch)
        for k in range(steps):
            flash.restore(img)
            counter.value = ctr
            s = RecordStore(flash, SECRET, counter=counter, max_value=MAX_VALUE)
            s.mount()
            flash.arm(k, seed=i * 1000 + k)
            try:
                s.commit(ch)
            except PowerCut:
                pass
            flash.power_on()
            r = RecordStore(flash, SECRET, counter=counter, max_value=MAX_VALUE)
            r.mount()
            got = {n: r.get(n) for n in r.names()}
            cuts += 1
            if got != expected and got != new:
                violations += 1
        flash.restore(after)
        counter.value = actr
        expected = new
    return cuts, violations


MP_CODE = r"""
import time
from lightclient.chip.store.store import RecordStore
from lightclient.chip.store.filedev import RamBlockDevice
st = RecordStore(RamBlockDevice(4096, 64), bytes(range(32)), max_value=16384)
st.format()
t = bytes(9 * 1024)
s = bytes(2 * 1024)
st.commit({"trusted": t, "settings": s})
n = 3
t0 = time.ticks_ms()
for i in range(n):
    st.commit({"trusted": bytes([i + 1]) + t[1:], "settings": s})
print(time.ticks_diff(time.ticks_ms(), t0) / n / 1000)
"""


def _mp_commit_seconds():
    from lightclient.hwtest import micropython

    r = micropython.run_script(MP_CODE, vectors="none", timeout=300).check()
    return float(r.stdout.split()[-1])


def run():
    per, erases, small, secs, mount = _per_update()
    cuts, violations = _sweep()
    out = {
        "store.bytes_written_per_update": {"value": int(round(per)), "unit": "bytes",
                                           "note": "9 KiB trusted state + 2 KiB settings, 64 x 4 KiB sectors"},
        "store.erases_per_update": {"value": round(erases, 2), "unit": "sectors"},
        "store.bytes_written_per_small_update": {"value": small, "unit": "bytes",
                                                 "note": "100-byte record changed beside 11 KiB"},
        "store.powercuts_injected": {"value": cuts, "unit": "cuts"},
        "store.powercut_violations": {"value": violations, "unit": "cuts", "goal": "0"},
        "store.commit_seconds": {"value": secs, "unit": "s", "note": "CPython"},
        "store.mount_seconds": {"value": mount, "unit": "s", "note": "CPython"},
    }
    try:
        out["store.mp.commit_seconds"] = {"value": _mp_commit_seconds(), "unit": "s",
                                          "note": "MicroPython 1.27 WebAssembly"}
    except Exception as e:  # node missing: the CPython figures still count
        out["store.mp.commit_seconds"] = {"value": -1, "unit": "s", "note": "failed: %r" % (e,)}
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
