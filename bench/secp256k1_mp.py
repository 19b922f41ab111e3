# Times one secp256k1 verify of lightclient.chip.crypto.secp256k1 against the naive baseline
# (../shared/bench/naive_secp256k1.py) on the same interpreter, in one run, and prints one JSON
# line. Runs on MicroPython 1.27 and on CPython.
#
#   MicroPython (WebAssembly port, from the repository root):
#     node lightclient/hwtest/mp_runner.mjs --vectors none \
#         --file /bench/naive_secp256k1.py=../shared/bench/naive_secp256k1.py \
#         --exec bench/secp256k1_mp.py --steps steps
#     (`--steps heap_steps` instead prints the live heap held by the G table, HEAPSTEP lines;
#     on a board: import secp256k1_mp; secp256k1_mp.main())
#   CPython:  .venv/bin/python bench/secp256k1_mp.py
#
# JSON fields (ms per verify: the best of `rounds` rounds, each the mean of `n` verifies; the
# candidates alternate round by round, so load from other processes hits both alike):
#   naive_ms        naive verify(Q, e, r, s): affine point and integers given
#   ours_point_ms   ours on the same footing: decoded point, SHA-256 digest as an integer
#   ours_bytes_ms   ours from the wire: 33-byte key (decompression: one square root), 64-byte
#                   signature, message hashed inside (what a CometBFT vote check costs)
#   ours_prepared_ms  ours with a key from prepare() (odd multiples of Q computed once per
#                   key, as a light client can per validator set); ours_prepared_bytes_ms: the
#                   same from the wire (verify_prepared: message hashed, signature parsed)
#   ratio           naive_ms / ours_point_ms   ratio_bytes  naive_ms / ours_bytes_ms
#   ratio_prepared  naive_ms / ours_prepared_ms
#   g_table_ms      one-time build of the G table (first verify after import)
import sys
import json
import hashlib

try:
    import time

    _ms = time.ticks_ms
    _diff = time.ticks_diff
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
    _NAIVE = [os.path.join(os.path.dirname(_root), "shared", "bench", "naive_secp256k1.py")]
else:
    _NAIVE = ["/bench/naive_secp256k1.py", "naive_secp256k1.py", "../shared/bench/naive_secp256k1.py"]

from lightclient.chip.crypto import secp256k1  # noqa: E402
from lightclient.chip.crypto import secp256k1_group as group


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
    raise OSError("naive_secp256k1.py not found in " + repr(_NAIVE))


def _time(fn, args, n):
    fn(*args)  # warm-up
    t0 = _ms()
    for _ in range(n):
        ok = fn(*args)
    return _diff(_ms(), t0) / n, ok


def steps(n=20, rounds=5, out=None):
    """The benchmark as a generator: one yield after each timed block, so that the WebAssembly
    port (which collects garbage only between top-level calls) starts every block from a
    collected heap. main() simply runs it to the end."""
    naive = _load_naive()
    secret = bytes.fromhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
    msg = b"CometBFT vote sign bytes, say"
    t0 = _ms()
    pub = secp256k1.public_key(secret)  # first use builds the G table
    g_table_ms = _diff(_ms(), t0)
    sig = secp256k1.sign(secret, msg)
    digest = hashlib.sha256(msg).digest()
    e = int.from_bytes(digest, "big")
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    point = secp256k1.decode_point(pub)
    prepared = secp256k1.prepare(pub)
    yield
    cands = [
        (naive["verify"], (point, e, r, s)),
        (secp256k1._verify, (point[0], point[1], e, r, s)),
        (secp256k1.verify, (pub, msg, sig)),
        (secp256k1._verify, (point[0], point[1], e, r, s, prepared[2])),
        (secp256k1.verify_prepared, (prepared, msg, sig)),
    ]
    best = [None] * len(cands)
    oks = [True] * len(cands)
    for _ in range(rounds):
        for j, (fn, args) in enumerate(cands):
            ms, ok = _time(fn, args, n)
            oks[j] = oks[j] and ok
            if best[j] is None or ms < best[j]:
                best[j] = ms
            yield
    naive_ms, point_ms, bytes_ms, prep_ms, prep_bytes_ms = best
    forged = secp256k1.verify(pub, msg + b".", sig) or naive["verify"](point, e ^ 1, r, s)
    res = {
        "runtime": sys.implementation.name,
        "n": n,
        "rounds": rounds,
        "naive_ms": round(naive_ms, 3),
        "ours_point_ms": round(point_ms, 3),
        "ours_bytes_ms": round(bytes_ms, 3),
        "ratio": round(naive_ms / point_ms, 2),
        "ratio_bytes": round(naive_ms / bytes_ms, 2),
        "ours_prepared_ms": round(prep_ms, 3),
        "ratio_prepared": round(naive_ms / prep_ms, 2),
        "ours_prepared_bytes_ms": round(prep_bytes_ms, 3),
        "g_table_ms": round(g_table_ms, 3),
        "g_table_points": secp256k1.g_table_size()[0],
        "all_valid_accepted": all(oks),
        "forged_rejected": not forged,
    }
    print(json.dumps(res))
    if out is not None:
        out.append(res)


def heap_steps():
    # For runner.mjs --steps heap_steps: live heap before / after building the G table.
    yield
    group._g_table()
    yield


def main(n=20, rounds=5):
    out = []
    for _ in steps(n, rounds, out):
        pass
    return out[0]


if not IS_MP:
    main()
