"""Compact updates: size against the CometBFT JSON they replace, and what one 100-validator update
costs the microcontroller (peak heap and time inside MicroPython 1.27, WebAssembly port).

run() -> {figure: {"value", "unit", ...}}:
  update100.compact_bytes           adjacent step, 100 Ed25519 validators, validator set changed
                                    (the update carries the 101-validator next set)
  update100.json_bytes              what it replaces: /commit, /validators and
                                    /validators?height=H+1 answers (compact JSON without
                                    indentation: the smallest JSON form)
  update100.nochange.compact_bytes  the same without a validator-set change
  update100.nochange.json_bytes
  mp.update100.peak_heap_bytes      upper bound on the live heap while MicroPython decodes and
                                    verifies the changed-set update (see below); goal <= 65536
  mp.update100.peak_heap_lower_bytes  lower bound (largest live heap seen at a checkpoint)
  mp.update100.modules_live_bytes   live heap after the imports alone: the modules' bytecode
                                    (frozen into flash on a board) and what importing builds
  mp.update100.peak_heap_excl_bytecode_bytes  peak_heap_lower - modules_live: the heap the
                                    update itself needs (goal <= 65536; the board's trusted
                                    state, the update bytes, tables, decoded block, verification)
  mp.update100.*                    what the peak is made of (live heap at checkpoints)
  mp.update100.seconds              one apply_update (decode + 67 signature checks), wall time

How the peak is measured (lightclient/hwtest/micropython.py explains why nothing better exists in this port):
the workload runs apply_update's computations in fine steps, the same calls in the same order
(decode_update; check_structure; each signature of the 2/3 tally through one CachingChecker), with
a checkpoint after each. Garbage is collected only between steps, so for each step "live at its
start + everything it allocated" bounds its peak from above; the largest over all steps is the
reported upper bound. A signature check allocates far more garbage than it holds live, so the
bound is loose by up to one verification's garbage.
"""

import json
import re

from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core import update_encode
from lightclient.chip.core.verifier import TrustedState
from lightclient.hwtest import micropython
from lightclient.scenarionet.chain import SECOND, Chain, make_validators, to_rpc_json

START = 1_700_000_000 * SECOND


def _json_bytes(block):
    j = to_rpc_json(block)
    return sum(len(json.dumps(j[k], separators=(",", ":")).encode()) for k in j if j[k])


def build(change=True, n=100):
    c = Chain("bench-chain", make_validators(n), START)
    if change:
        c.schedule_change(2, add=make_validators(1, tag=b"join"))
    b1, b2 = c.run(2)
    trusted = TrustedState(b1.signed_header.header, b1.next_validators, b1.validators)
    return c, b1, b2, trusted, update_encode.encode_update([b2], trusted)


MP_IMPORTS = r"""
import gc, json, time
from lightclient.chip.core import types, update, verifier
from lightclient.chip.core import votes
from lightclient.chip.crypto import ed25519, sha512  # imported on first verify; frozen on a board
from lightclient.chip.core.signatures import CachingChecker
"""

# The trusted state is read as the board reads it from its store (trusted_at_rest.decode_trusted of
# trusted_at_rest.encode_trusted bytes, next validators only: the firmware's slim()).
MP_SETUP = MP_IMPORTS + r"""
with open("/data/trusted.bin", "rb") as f:
    TRUSTED = trusted_at_rest.decode_trusted(f.read())
with open("/data/update.bin", "rb") as f:
    DATA = f.read()
NOW = %d
OPTS = verifier.Options(14 * 24 * 3600 * 1000000000)
"""

# Only the imports: the live heap this leaves is the modules' (their bytecode, which a board
# freezes into flash, plus what importing builds: module dicts, functions, classes, constant
# tables; a frozen module still builds those on the heap, so subtracting all of it slightly
# flatters the "excluding bytecode" figures).
MP_MODULES_ONLY = MP_IMPORTS + r"""
def workload():
    yield
"""

# The two-thirds tally as verifier._tally runs it (index accessors, heaviest first), one
# checkpoint per signature; bench/mcu_bench.py runs the same lines.
MP_TALLY = r"""
    b = blocks[0]
    verifier.check_structure(TRUSTED, b, OPTS, NOW)
    commit = b.signed_header.commit
    builder = votes.SignBytesBuilder(TRUSTED.header.chain_id, commit)
    checker = CachingChecker()
    vals = b.validators                     # the verifier's index accessors, as _tally uses
    cands = [(vals.power_at(i), i) for i in range(len(vals))
             if commit.flag_at(i) == types.BLOCK_ID_FLAG_COMMIT]
    cands.sort(key=lambda c: (-c[0], c[1]))
    needed = b.validators.total_power * 2 // 3
    yield
    tallied = 0
    for power, i in cands:
        key_type, pub_key = vals.key_at(i)
        assert checker.check(key_type, pub_key, builder.for_index(i), commit.signature_at(i))
        key_type = pub_key = None
        tallied += power
        yield                               # one checkpoint per signature
        if tallied > needed:
            break
    assert tallied > needed
"""

MP_WORKLOAD = r"""
def workload():
    yield                                   # live: modules + trusted state + update bytes
    blocks = update.decode_update(DATA, TRUSTED)
    yield                                   # live: + decoded light block
""" + MP_TALLY + r"""    state = verifier.TrustedState(b.signed_header.header, b.next_validators, b.validators)
    blocks = b = commit = builder = checker = cands = vals = None
    yield                                   # live: the new trusted state (+ the old one)
    print("NEWSTATE", state.header.height, len(state.next_validators))
"""

# What the update decoder holds of the parsed CBOR before it decodes the steps: the top-level
# item with the step's arrays left lazy (cbor.LazyArray, as decode_update does), and for
# comparison the whole tree cbor.loads builds without lazy_depth (what the decoder held before).
MP_TREE = r"""
from lightclient.chip.core import cbor
_L = update.DEFAULT_LIMITS
def workload():
    yield
    top = cbor.loads(DATA, update.CBOR_DEPTH, _L.max_items(), _L.max_bytes, update.LAZY_DEPTH)
    yield
    top = None
    yield
    top = cbor.loads(DATA, update.CBOR_DEPTH, _L.max_items(), _L.max_bytes)
    yield
    top = None
"""

MP_TIMING = r"""
def _ms():
    return time.ticks_ms()
update.apply_update(TRUSTED, DATA, OPTS, NOW)   # warm-up: base-point tables, imports
t0 = _ms()
s = update.apply_update(TRUSTED, DATA, OPTS, NOW)
t1 = _ms()
t2 = _ms()
update.decode_update(DATA, TRUSTED)
t3 = _ms()
print(json.dumps({"apply_ms": time.ticks_diff(t1, t0), "decode_ms": time.ticks_diff(t3, t2),
                  "height": s.header.height}))
"""


def _mp_files(b1, data):
    trusted = TrustedState(b1.signed_header.header, b1.next_validators, None)
    return {"/data/trusted.bin": trusted_at_rest.encode_trusted(trusted), "/data/update.bin": data}


def modules_live(imports_code, extra_files=None):
    """Live heap after running only `imports_code` (collected at top level, no stack)."""
    prof = micropython.heap_profile(imports_code, extra_files=extra_files, vectors="none",
                                    timeout=300)
    return prof.steps[0].live_before


def measure_mp(b1, b2, data):
    now = b2.signed_header.header.time_ns + SECOND
    files = _mp_files(b1, data)
    prof = micropython.heap_profile(MP_SETUP % now + MP_WORKLOAD, extra_files=files,
                                    vectors="none", timeout=600)
    assert re.search(r"NEWSTATE 2 101", prof.result.stdout), prof.result.stdout[-2000:]
    steps = prof.steps
    timing = micropython.run_script(MP_SETUP % now + MP_TIMING, extra_files=files,
                                    vectors="none", timeout=600).check()
    t = json.loads(timing.stdout.strip().splitlines()[-1])
    assert t["height"] == 2
    sig_steps = steps[3:-2]
    modules = modules_live(MP_MODULES_ONLY)
    tree = micropython.heap_profile(MP_SETUP % now + MP_TREE, extra_files=files, vectors="none",
                                    timeout=300).steps
    return {
        "peak_upper": prof.peak_upper,
        "peak_lower": prof.peak_lower,
        "modules": modules,
        "cbor_lazy_top": tree[2].live_before - tree[1].live_before,
        "cbor_tree": tree[4].live_before - tree[3].live_before,
        "live_baseline": steps[1].live_before,       # modules + trusted state + update bytes
        "live_decoded": steps[2].live_before,        # + decoded light block
        "decode_alloc": steps[1].allocated,          # what decode_update allocated (gross)
        "live_verifying_max": max(s.live_before for s in sig_steps),
        "sig_alloc_max": max(s.allocated for s in sig_steps),
        "signatures": len(sig_steps),
        "apply_seconds": t["apply_ms"] / 1000.0,
        "decode_seconds": t["decode_ms"] / 1000.0,
    }


def run():
    c, b1, b2, trusted, data = build(change=True)
    _, _, nb2, _, ndata = build(change=False)
    out = {
        "update100.compact_bytes": {"value": len(data), "unit": "B"},
        "update100.json_bytes": {"value": _json_bytes(b2), "unit": "B"},
        "update100.nochange.compact_bytes": {"value": len(ndata), "unit": "B"},
        "update100.nochange.json_bytes": {"value": _json_bytes(nb2), "unit": "B"},
    }
    m = measure_mp(b1, b2, data)
    out.update({
        "mp.update100.peak_heap_bytes": {"value": m["peak_upper"], "unit": "B",
                                         "goal": "<= 65536",
                                         "note": "upper bound; lower bound in "
                                                 "mp.update100.peak_heap_lower_bytes"},
        "mp.update100.peak_heap_lower_bytes": {"value": m["peak_lower"], "unit": "B"},
        "mp.update100.modules_live_bytes": {"value": m["modules"], "unit": "B",
                                            "note": "live heap after the imports alone "
                                                    "(bytecode + what importing builds)"},
        "mp.update100.peak_heap_excl_bytecode_bytes": {
            "value": m["peak_lower"] - m["modules"], "unit": "B", "goal": "<= 65536",
            "note": "peak_heap_lower_bytes - modules_live_bytes"},
        "mp.update100.peak_heap_upper_excl_bytecode_bytes": {
            "value": m["peak_upper"] - m["modules"], "unit": "B",
            "note": "peak_heap_bytes - modules_live_bytes (loose: one signature check's "
                    "garbage)"},
        "mp.update100.live_baseline_bytes": {"value": m["live_baseline"], "unit": "B",
                                             "note": "modules + trusted state + update bytes"},
        "mp.update100.live_trusted_bytes": {"value": m["live_baseline"] - m["modules"] - len(data),
                                            "unit": "B",
                                            "note": "live_baseline - modules - update bytes: the "
                                                    "trusted state (100 validators)"},
        "mp.update100.live_decoded_bytes": {"value": m["live_decoded"], "unit": "B"},
        "mp.update100.decode_alloc_bytes": {"value": m["decode_alloc"], "unit": "B"},
        "mp.update100.live_verifying_max_bytes": {"value": m["live_verifying_max"], "unit": "B"},
        "mp.update100.sig_alloc_max_bytes": {"value": m["sig_alloc_max"], "unit": "B"},
        "mp.update100.signatures": {"value": m["signatures"], "unit": "count"},
        "mp.update100.cbor_lazy_top_bytes": {"value": m["cbor_lazy_top"], "unit": "B",
                                             "note": "parsed update held while its steps "
                                                     "decode (step arrays lazy)"},
        "mp.update100.cbor_tree_bytes": {"value": m["cbor_tree"], "unit": "B",
                                         "note": "the whole CBOR tree of the update, for "
                                                 "comparison (not built by decode_update)"},
        "mp.update100.seconds": {"value": m["apply_seconds"], "unit": "s"},
        "mp.update100.decode_seconds": {"value": m["decode_seconds"], "unit": "s"},
    })
    return out


if __name__ == "__main__":
    for k, v in sorted(run().items()):
        print("%-40s %12s %s" % (k, v["value"], v["unit"]))
