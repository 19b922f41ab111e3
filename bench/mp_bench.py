"""One signature verify of our pure verifiers against the naive baselines in
../shared/bench, on the same MicroPython interpreter in one run (bench/ed25519_mp.py and
bench/secp256k1_mp.py do the timing inside MicroPython; this runs them and collects figures)."""

import json
from pathlib import Path

from lightclient.hwtest import micropython

ROOT = Path(__file__).resolve().parent.parent
SHARED_BENCH = ROOT.parent / "shared" / "bench"


def _run(script, naive, steps=None):
    code = (ROOT / "bench" / script).read_text()
    files = {"/bench/" + naive: (SHARED_BENCH / naive).read_bytes()}
    r = micropython.run_script(code, extra_files=files, vectors="none", timeout=600,
                               steps=steps).check()
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    return json.loads(lines[-1])


def run():
    ed = _run("ed25519_mp.py", "naive_ed25519.py")
    # secp256k1_mp.py runs as a generator (one top-level call per timed block) so that the
    # WebAssembly port collects garbage between blocks; see its header.
    k1 = _run("secp256k1_mp.py", "naive_secp256k1.py", steps="steps")
    return {
        "mp.ed25519.naive_over_ours": {"value": ed["ratio"], "unit": "x", "goal": ">= 3"},
        "mp.ed25519.ours_ms": {"value": ed["ours_ms"], "unit": "ms"},
        "mp.ed25519.naive_ms": {"value": ed["naive_ms"], "unit": "ms"},
        "mp.secp256k1.naive_over_ours": {"value": k1["ratio"], "unit": "x", "goal": ">= 3"},
        "mp.secp256k1.ours_ms": {"value": k1.get("ours_point_ms", k1.get("ours_ms")), "unit": "ms"},
        "mp.secp256k1.naive_ms": {"value": k1["naive_ms"], "unit": "ms"},
        # From the wire (key decompression, hashing, parsing) and with a key prepared once
        # per validator set (odd multiples precomputed; ~1.4 KB per key on MicroPython).
        "mp.secp256k1.naive_over_ours_from_bytes": {"value": k1["ratio_bytes"], "unit": "x"},
        "mp.secp256k1.naive_over_ours_prepared": {"value": k1["ratio_prepared"], "unit": "x"},
    }
