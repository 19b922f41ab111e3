"""What one compact update of a 100-validator set costs the microcontroller's firmware, inside
MicroPython 1.27 (WebAssembly port): verify it (decode, the 2/3 signature tally, the device
record's state proof) and commit the new trusted state and the proven record to the secure store
in one atomic step, through the firmware's own code (app.device.Device.submit_update).

run() -> {figure: {"value", "unit", ...}}:
  mcu.update100.seconds          Device.submit_update wall time (verify + proof + store commit),
                                 the validator set changes (101-validator next set), after a
                                 warm-up update (base-point tables, imports)
  mcu.update100.peak_heap_bytes  upper bound on the live heap over that update, measured as in
                                 bench/update_bench.py: the same calls in the same order in fine
                                 steps (decode; structure; each signature of the tally; the state
                                 proofs; the store commit), garbage collected between steps, and
                                 for each step "live at its start + what it allocated"
  mcu.update100.peak_heap_lower_bytes  the largest live heap seen at a checkpoint
  mcu.update100.modules_live_bytes  live heap after the imports alone (firmware + core bytecode,
                                 frozen into flash on a board, and what importing builds)
  mcu.update100.peak_heap_excl_bytecode_bytes  peak_heap_lower - modules_live
  mcu.update100.commit_seconds   the store commit alone (flash in the port's RAM filesystem)
  mcu.link.update100_frame_decode_ms / _encode_ms   the serial framing (base64, CRC16) of that
                                 update's request inside MicroPython
  mcu.link.echo_per_second       SMP echo round trips per second between McuClient (pyserial)
                                 and the emulated board over the socat pty (framing, CBOR, the
                                 firmware's dispatch, node <-> MicroPython; no baud-rate limit)
The flash image lives in the port's in-memory filesystem (JavaScript memory), so the GC-heap
figures do not count it, as on the chip where the partition is not in RAM.
"""

import json
import re
import time
from pathlib import Path

from bench.update_bench import MP_TALLY
from lightclient.scenarionet import ics23_build
from lightclient.chip import txs
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core import update_encode
from lightclient.chip.core.verifier import TrustedState
from lightclient.hwtest import micropython
from lightclient.scenarionet.chain import SECOND, Chain, make_validators

REPO = Path(__file__).resolve().parent.parent
START = 1_700_000_000 * SECOND
UUID = "bench-device"


def build(pub_hex="ab" * 32, n=100):
    record = txs.canonical_json({"uuid": UUID, "device_pubkey": pub_hex, "owner_pubkey": "11" * 32,
                                 "account": "bench", "version": 1, "device": {},
                                 "setting": {"lang": "en-us", "date_format": "DMY"},
                                 "location": {"city": "Lawrence"}, "skills": [],
                                 "subscription": {}})
    key = txs.record_key(UUID)
    devices = ics23_build.IavlTree({key: record, txs.record_key("other"): b"{}"}, version=1)
    stores = ics23_build.multistore({"bank": ics23_build.IavlTree({b"b": b"1"}, 1).root,
                                     "devices": devices.root})
    c = Chain("bench-chain", make_validators(n), START)
    c.schedule_change(2, add=make_validators(1, tag=b"join"))
    b1, b2 = c.run(2, app_hash=lambda h: stores.root)
    trusted = TrustedState(b1.signed_header.header, b1.next_validators, b1.validators)
    proofs = [("devices", key, record, ics23_build.abci_proof_ops(devices, stores, "devices", key))]
    data = update_encode.encode_update([b2], trusted, proofs=proofs)
    return trusted, data, b2.signed_header.header.time_ns + SECOND


MP_IMPORTS = r"""
import sys, gc, time, json
import os
from lightclient.chip.app.device import Device
from lightclient.chip.app import boot
from lightclient.chip.core import update, verifier, types, cbor
from lightclient.chip.core import proof_chain
from lightclient.chip.core.signatures import CachingChecker
from lightclient.chip.store.filedev import FileBlockDevice
"""

# The imports alone: the firmware's and the core's modules (bytecode, frozen into flash on a
# board, plus what importing builds). See bench/update_bench.py MP_MODULES_ONLY.
MP_MODULES_ONLY = MP_IMPORTS + r"""
def workload():
    yield
"""

MP_SETUP = MP_IMPORTS + r"""
try:
    os.mkdir("/state")
except OSError:
    pass
with open("/data/trusted.bin", "rb") as f:
    TRUSTED_BYTES = f.read()
with open("/data/update.bin", "rb") as f:
    DATA = f.read()
NOW = %d
_n = [0]
def _rng(k):
    _n[0] += 1
    return bytes(((_n[0] * 131 + i * 7) & 255) for i in range(k))  # benchmark only: not random
def fresh_device(path):
    dev = FileBlockDevice(path, 4096, 64)
    store, err = boot.open_store(dev, b"\x5a" * 32, None, _rng)
    assert err is None, err
    d = Device(store, _rng)
    d.set_checkpoint(TRUSTED_BYTES, None, "bench-device", True)
    return d
"""

MP_WORKLOAD = r"""
DEV = fresh_device("/state/heap.img")
TRUSTED = DEV.trusted
OPTS = verifier.Options(DEV.config["tp"])
gc.collect()
def workload():
    yield                                   # live: modules + device (trusted state) + update
    blocks, proofs = update.decode_update_full(DATA, TRUSTED)
    yield
""" + MP_TALLY + r"""    state = verifier.TrustedState(b.signed_header.header, b.next_validators, None)  # Device: slim()
    blocks = b = commit = builder = checker = cands = vals = None
    yield
    proven = []
    for store, key, value, ops in proofs:
        proof_chain.verify_abci_proof_ops(ops, state.header.app_hash, [store, key], value)
        proven.append((store, key, value))
    proofs = None
    yield
    record, uuid = DEV._own_record(proven, state.header)
    assert record is not None
    DEV._commit({"trusted": trusted_at_rest.encode_trusted(state), "record": cbor.dumps(record)})
    yield
    print("COMMITTED", DEV.store.generation, state.header.height, len(state.next_validators))
"""

MP_TIMING = r"""
d = fresh_device("/state/warm.img")
d.submit_update(DATA, NOW)                   # warm-up
d = fresh_device("/state/timed.img")
t0 = time.ticks_ms()
state, n, cached = d.submit_update(DATA, NOW)
t1 = time.ticks_ms()
assert cached and state.header.height == 2
rec = d.record
t2 = time.ticks_ms()
d._commit({"trusted": trusted_at_rest.encode_trusted(state), "record": cbor.dumps(rec)})
t3 = time.ticks_ms()
from lightclient.chip.smp import frame, header as H
msg = H.encode_message(H.Header(2, 64, 5, 1), {"update": DATA, "now_ns": NOW})
wire = frame.encode_packet(msg)
dec = frame.FrameDecoder()
t4 = time.ticks_ms()
for i in range(5):
    assert dec.feed(wire, 0) == [msg]
t5 = time.ticks_ms()
for i in range(5):
    frame.encode_packet(msg)
t6 = time.ticks_ms()
print(json.dumps({"update_ms": time.ticks_diff(t1, t0), "commit_ms": time.ticks_diff(t3, t2),
                  "height": state.header.height, "proven": n, "wire_bytes": len(wire),
                  "decode_ms": time.ticks_diff(t5, t4) / 5, "encode_ms": time.ticks_diff(t6, t5) / 5}))
"""


def measure_mp():
    trusted, data, now = build()
    files = None  # the runner copies lightclient/chip (the firmware application included)
    files["/data/trusted.bin"] = trusted_at_rest.encode_trusted(trusted)
    files["/data/update.bin"] = data
    prof = micropython.heap_profile(MP_SETUP % now + MP_WORKLOAD, extra_files=files,
                                    vectors="none", timeout=900)
    assert re.search(r"COMMITTED \d+ 2 101", prof.result.stdout), prof.result.stdout[-2000:]
    timing = micropython.run_script(MP_SETUP % now + MP_TIMING, extra_files=files,
                                    vectors="none", timeout=900).check()
    t = json.loads(timing.stdout.strip().splitlines()[-1])
    assert t["height"] == 2 and t["proven"] == 1
    t["modules"] = micropython.heap_profile(MP_MODULES_ONLY, extra_files=files, vectors="none",
                                            timeout=300).steps[0].live_before
    return prof, t, len(data)


def measure_link(seconds=3.0):
    from lightclient.mcu import McuClient
    from lightclient.hwtest.emulator import EmulatedBoard

    with EmulatedBoard() as board, McuClient(board.port) as mcu:
        mcu.echo("warm-up")
        n = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            assert mcu.echo("ping %d" % n) == "ping %d" % n
            n += 1
        return n / (time.monotonic() - t0)


def run():
    prof, t, size = measure_mp()
    return {
        "mcu.update100.seconds": {"value": round(t["update_ms"] / 1000.0, 3), "unit": "s",
                                  "note": "verify + state proof + atomic store commit, "
                                          "MicroPython 1.27 wasm"},
        "mcu.update100.peak_heap_bytes": {"value": prof.peak_upper, "unit": "B",
                                          "note": "upper bound; lower bound in "
                                                  "mcu.update100.peak_heap_lower_bytes"},
        "mcu.update100.peak_heap_lower_bytes": {"value": prof.peak_lower, "unit": "B"},
        "mcu.update100.modules_live_bytes": {"value": t["modules"], "unit": "B",
                                             "note": "live heap after the firmware's imports "
                                                     "alone (bytecode + what importing builds)"},
        "mcu.update100.peak_heap_excl_bytecode_bytes": {
            "value": prof.peak_lower - t["modules"], "unit": "B", "goal": "<= 65536",
            "note": "peak_heap_lower_bytes - modules_live_bytes"},
        "mcu.update100.commit_seconds": {"value": round(t["commit_ms"] / 1000.0, 3), "unit": "s"},
        "mcu.update100.update_bytes": {"value": size, "unit": "B"},
        "mcu.link.update100_frame_decode_ms": {"value": t["decode_ms"], "unit": "ms",
                                               "note": "FrameDecoder on the %d wire bytes of the "
                                                       "submit-update request, MicroPython"
                                                       % t["wire_bytes"]},
        "mcu.link.update100_frame_encode_ms": {"value": t["encode_ms"], "unit": "ms"},
        "mcu.link.echo_per_second": {"value": round(measure_link(), 1), "unit": "1/s"},
    }


if __name__ == "__main__":
    for k, v in sorted(run().items()):
        print("%-40s %12s %s" % (k, v["value"], v["unit"]))
