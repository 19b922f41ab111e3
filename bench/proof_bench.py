"""ICS23 state proofs for one device record among 10^4, 10^5 and 10^6 keys in the `devices`
IAVL store of a four-store multistore: proof bytes (both ops of the abci_query answer) and the
time to verify the proof chain up to the app hash, on CPython (the Pi's core, pure) and inside
MicroPython (the microcontroller's core). The tree is built once per size (minutes of hashing
at 10^6 are not part of the figure)."""

import statistics
import time

from lightclient.scenarionet import ics23_build
from lightclient.chip import txs
from lightclient.chip.core import proof_chain

SIZES = ((4, 10**4), (5, 10**5), (6, 10**6))
REPEATS = 20

MP_CODE = """
import time
from lightclient.chip.core import ics23
OPS = %r
APP = %r
KEY = %r
VAL = %r
N = 100
t = time.ticks_ms()
for _ in range(N):
    proof_chain.verify_abci_proof_ops(OPS, APP, ["devices", KEY], VAL)
print(time.ticks_diff(time.ticks_ms(), t) * 1000 // N)
"""


def _case(n):
    record = txs.canonical_json({"uuid": "x", "setting": {"lang": "en-us"}})
    items = {txs.record_key("dev%07d" % i): record for i in range(n)}
    devices = ics23_build.IavlTree(items, version=1000)
    small = {name: ics23_build.IavlTree({b"k": b"v"}, 1000).root for name in ("bank", "gov", "acc")}
    stores = ics23_build.multistore(dict(small, devices=devices.root))
    key = txs.record_key("dev%07d" % (n // 3))
    ops = ics23_build.abci_proof_ops(devices, stores, "devices", key)
    return ops, stores.root, key, record


def _cpython_seconds(ops, app_hash, key, value):
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        proof_chain.verify_abci_proof_ops(ops, app_hash, ["devices", key], value)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run():
    from lightclient.hwtest import micropython as mp
    out = {}
    for exp, n in SIZES:
        ops, app_hash, key, value = _case(n)
        name = "proof.iavl.1e%d" % exp
        out[name + ".bytes"] = {"value": sum(len(d) for _, _, d in ops), "unit": "bytes",
                                "note": "proofOps data of both ops (iavl + multistore)"}
        out[name + ".verify_seconds"] = {"value": _cpython_seconds(ops, app_hash, key, value),
                                         "unit": "s", "note": "CPython, pure core"}
        if mp.available() is None:
            res = mp.run_script(MP_CODE % (ops, app_hash, key, value), vectors="none").check()
            out[name + ".mp_verify_seconds"] = {
                "value": int(res.stdout.strip().splitlines()[-1]) / 1e6, "unit": "s",
                "note": "MicroPython 1.27 (WebAssembly, this host), mean of 100"}
    return out


if __name__ == "__main__":
    for k, v in sorted(run().items()):
        print(k, v)
