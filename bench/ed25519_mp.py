# Times one Ed25519 verify of lightclient.chip.crypto.ed25519 (ZIP-215) against the naive baseline
# (../shared/bench/naive_ed25519.py) on the same interpreter, in one run, and prints one JSON line.
# Runs on MicroPython 1.27 and on CPython.
#
#   MicroPython (WebAssembly port, from the repository root):
#     node lightclient/hwtest/mp_runner.mjs --vectors none \
#         --file /bench/naive_ed25519.py=../shared/bench/naive_ed25519.py \
#         --exec bench/ed25519_mp.py
#     (add `--steps heap_steps` to also get the live heap held by the base-point tables)
#   CPython:  .venv/bin/python bench/ed25519_mp.py
#
# How the naive module is loaded: its file ends in self-timing code (from "import time" on), so
# only the definitions above that line are exec'd into a namespace. On MicroPython the naive file
# uses its own plain SHA-512 (hashlib has none) and ours uses lightclient.chip.crypto.sha512; on CPython
# both use hashlib.sha512. Same inputs for both: RFC 8032 test 2 (one-byte message), and a
# CometBFT-vote-sized message (~110 bytes: R || A || M spans two SHA-512 blocks).
#
# JSON fields (times in ms per verify, mean over `n` runs after one warm-up; runs are interleaved
# naive / ours in rounds, with gc.collect() before each untimed, so that JIT warm-up and GC state
# hit both alike):
#   naive_ms, ours_ms, ratio          RFC 8032 test 2 (1-byte message)
#   naive_vote_ms, ours_vote_ms, ratio_vote   110-byte message
#   table_ms      one-time build of the base-point tables (first verify after import)
#   table_values  field elements held by the tables; table_bytes = 32 bytes per value (payload;
#                 the live heap incl. object overhead is what `--steps heap_steps` reports)
import sys
import json
import gc

try:
    import time

    _ms = time.ticks_ms
    _diff = time.ticks_diff
    _ms()
except AttributeError:
    import time

    def _ms():
        return time.perf_counter() * 1000.0

    def _diff(a, b):
        return a - b


IS_MP = sys.implementation.name == "micropython"
if not IS_MP:
    import os

    _root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if _root not in sys.path:
        sys.path.insert(0, _root)
    _NAIVE = [os.path.join(os.path.dirname(_root), "shared", "bench", "naive_ed25519.py")]
else:
    _NAIVE = ["/bench/naive_ed25519.py", "naive_ed25519.py", "../shared/bench/naive_ed25519.py"]

from lightclient.chip.crypto import ed25519  # noqa: E402
from lightclient.chip.crypto import edwards25519 as curve


def _load_naive():
    # Only the definitions: the file's own timing code starts at "import time".
    for path in _NAIVE:
        try:
            with open(path) as f:
                src = f.read()
        except OSError:
            continue
        cut = src.find("\nimport time")
        ns = {}
        exec(src[:cut] if cut > 0 else src, ns)
        return ns
    raise OSError("naive_ed25519.py not found in " + repr(_NAIVE))


def _time_pair(f1, f2, args, n, rounds=8):
    # Interleaved: rounds x (n/rounds runs of f1, then of f2). Returns (ms1, ms2, ok1, ok2).
    ok1 = f1(*args)
    ok2 = f2(*args)
    per = max(1, n // rounds)
    t1 = t2 = 0
    for _ in range(rounds):
        gc.collect()
        t0 = _ms()
        for _ in range(per):
            ok1 = f1(*args) and ok1
        t1 += _diff(_ms(), t0)
        gc.collect()
        t0 = _ms()
        for _ in range(per):
            ok2 = f2(*args) and ok2
        t2 += _diff(_ms(), t0)
    return t1 / (per * rounds), t2 / (per * rounds), ok1, ok2


def heap_steps():
    # For runner.mjs --steps: the live heap without and with the base-point tables (main() has
    # already built them once at import, so they are dropped first and then rebuilt).
    curve._TABLES = None
    yield
    curve._tables()
    yield


PUB = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
MSG = bytes.fromhex("72")
SIG = bytes.fromhex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")


def main(n=40):
    naive = _load_naive()
    t0 = _ms()
    ok_first = ed25519.verify(PUB, MSG, SIG)  # first use builds the tables
    table_ms = _diff(_ms(), t0)
    naive_ms, ours_ms, naive_ok, ours_ok = _time_pair(naive["verify"], ed25519.verify,
                                                      (PUB, MSG, SIG), n)
    vote = bytes(range(110))
    vsig = ed25519.sign(SEED, vote)
    nv_ms, ov_ms, nv_ok, ov_ok = _time_pair(naive["verify"], ed25519.verify, (PUB, vote, vsig), n)
    forged = ed25519.verify(PUB, MSG, SIG[:63] + bytes([SIG[63] ^ 1])) or ed25519.verify(
        PUB, vote + b".", vsig)
    values, nbytes = curve.table_size_info()
    out = {
        "runtime": sys.implementation.name,
        "n": n,
        "naive_ms": round(naive_ms, 3),
        "ours_ms": round(ours_ms, 3),
        "ratio": round(naive_ms / ours_ms, 2),
        "naive_vote_ms": round(nv_ms, 3),
        "ours_vote_ms": round(ov_ms, 3),
        "ratio_vote": round(nv_ms / ov_ms, 2),
        "table_ms": round(table_ms, 3),
        "table_values": values,
        "table_bytes": nbytes,
        "all_valid_accepted": bool(ok_first and naive_ok and ours_ok and nv_ok and ov_ok),
        "forged_rejected": not forged,
    }
    print(json.dumps(out))
    return out


main()
