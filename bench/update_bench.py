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
  mp.update100.*                    what the peak is made of (live heap at checkpoints)
  mp.update100.seconds              one apply_update (decode + 67 signature checks), wall time

How the peak is measured (tools/micropython.py explains why nothing better exists in this port):
the workload runs apply_update's computations in fine steps, the same calls in the same order
(decode_update; check_structure; each signature of the 2/3 tally through one CachingChecker), with
a checkpoint after each. Garbage is collected only between steps, so for each step "live at its
start + everything it allocated" bounds its peak from above; the largest over all steps is the
reported upper bound. A signature check allocates far more garbage than it holds live, so the
bound is loose by up to one verification's garbage.
"""

import json
import re

from lightclient.core import update
from lightclient.core.verifier import TrustedState
from tools import micropython
from tools.chain import SECOND, Chain, make_validators, to_rpc_json

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
    return c, b1, b2, trusted, update.encode_update([b2], trusted)


MP_SETUP = r"""
import gc, json, time
from lightclient.core import rpcjson, types, update, verifier
from lightclient.core.signatures import CachingChecker

with open("/data/trusted.json") as f:
    _t = json.load(f)
TRUSTED = verifier.TrustedState(rpcjson.header_from_json(_t["header"]),
                                rpcjson.validator_set_from_json(_t["next_validators"]))
_t = None
with open("/data/update.bin", "rb") as f:
    DATA = f.read()
NOW = %d
OPTS = verifier.Options(14 * 24 * 3600 * 1000000000)
"""

MP_WORKLOAD = r"""
def workload():
    yield                                   # live: modules + trusted state + update bytes
    blocks = update.decode_update(DATA, TRUSTED)
    yield                                   # live: + decoded light block
    b = blocks[0]
    verifier.check_structure(TRUSTED, b, OPTS, NOW)
    commit = b.signed_header.commit
    builder = types.SignBytesBuilder(TRUSTED.header.chain_id, commit)
    checker = CachingChecker()
    vals = b.validators.validators
    cands = [(vals[i].voting_power, i) for i in range(len(vals))
             if commit.signatures[i].flag == types.BLOCK_ID_FLAG_COMMIT]
    cands.sort(key=lambda c: (-c[0], c[1]))
    needed = b.validators.total_power * 2 // 3
    yield
    tallied = 0
    for power, i in cands:
        v = vals[i]
        assert checker.check(v.key_type, v.pub_key, builder.for_index(i),
                             commit.signatures[i].signature)
        tallied += power
        yield                               # one checkpoint per signature
        if tallied > needed:
            break
    assert tallied > needed
    state = verifier.TrustedState(b.signed_header.header, b.next_validators, b.validators)
    blocks = b = commit = builder = checker = cands = vals = None
    yield                                   # live: the new trusted state (+ the old one)
    print("NEWSTATE", state.header.height, len(state.next_validators))
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
    j = to_rpc_json(b1)
    trusted = {"header": j["commit"]["result"]["signed_header"]["header"],
               "next_validators": j["next_validators"]["result"]}
    return {"/data/trusted.json": json.dumps(trusted).encode(), "/data/update.bin": data}


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
    return {
        "peak_upper": prof.peak_upper,
        "peak_lower": prof.peak_lower,
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
        "mp.update100.live_baseline_bytes": {"value": m["live_baseline"], "unit": "B",
                                             "note": "modules + trusted state + update bytes"},
        "mp.update100.live_decoded_bytes": {"value": m["live_decoded"], "unit": "B"},
        "mp.update100.decode_alloc_bytes": {"value": m["decode_alloc"], "unit": "B"},
        "mp.update100.live_verifying_max_bytes": {"value": m["live_verifying_max"], "unit": "B"},
        "mp.update100.sig_alloc_max_bytes": {"value": m["sig_alloc_max"], "unit": "B"},
        "mp.update100.signatures": {"value": m["signatures"], "unit": "count"},
        "mp.update100.seconds": {"value": m["apply_seconds"], "unit": "s"},
        "mp.update100.decode_seconds": {"value": m["decode_seconds"], "unit": "s"},
    })
    return out


if __name__ == "__main__":
    for k, v in sorted(run().items()):
        print("%-40s %12s %s" % (k, v["value"], v["unit"]))
