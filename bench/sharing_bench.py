"""Data sharing (issue 20, docs/grants.md): what a sealed blob costs in bytes and time.

  sharing.blob_overhead_bytes.{1,5}_grantees  sealed blob bytes minus plaintext bytes of a
                                   64 KiB voice sample sealed to 1 and to 5 grantees
  sharing.seal_open.ms             sealing a 1 MiB - 8 KiB sample to 5 grantees and opening it as
                                   one of them, on the Pi's native backend (median of 5)

Expected before measuring: the header (format, chain id, owner, class, epoch, CBOR heads) is
~90 bytes and the payload's tag 16, so ~110 bytes plus one wrap of 119 bytes per grantee: ~230
for 1 grantee, ~700 for 5; whatever the sample's size. Time: ChaCha20-Poly1305 over 1 MiB twice
(OpenSSL, a few ms) and 6 X25519 (~0.1 ms each) plus CBOR of the big byte string (copies).
"""

import hashlib
import statistics
import time

from lightclient.chip.crypto import backend
from lightclient.sharing import sealed_blob

CHAIN = "mycroft-bench-1"
OWNER = "mycroft1" + "q" * 38
CLASS = "voice_samples"


def _rng(seed):
    state = {"n": 0}

    def random(n):
        out = b""
        while len(out) < n:
            out += hashlib.sha256(seed + state["n"].to_bytes(8, "big")).digest()
            state["n"] += 1
        return out[:n]
    return random


def _grantees(n):
    secrets = [hashlib.sha256(b"grantee %d" % i).digest() for i in range(n)]
    return secrets, [backend.x25519_public_key(s) for s in secrets]


def run():
    sample = bytes((i * 13) & 0xFF for i in range(65536))
    sizes = {}
    for n in (1, 5):
        _s, pubs = _grantees(n)
        blob = sealed_blob.seal(CHAIN, OWNER, CLASS, 3, sample, pubs, _rng(b"bench"))
        sizes[n] = len(blob) - len(sample)
    big = bytes((i * 7) & 0xFF for i in range(sealed_blob.MAX_PLAINTEXT))
    secrets, pubs = _grantees(5)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        blob = sealed_blob.seal(CHAIN, OWNER, CLASS, 3, big, pubs, _rng(b"t"))
        assert sealed_blob.open_(blob, CHAIN, OWNER, CLASS, 3, {pubs[4]: secrets[4]}) == big
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "sharing.blob_overhead_bytes.1_grantees": {
            "value": sizes[1], "unit": "B", "note": "64 KiB sample, expected ~230"},
        "sharing.blob_overhead_bytes.5_grantees": {
            "value": sizes[5], "unit": "B", "note": "64 KiB sample, expected ~700 (+119 a grantee)"},
        "sharing.seal_open.ms": {
            "value": round(statistics.median(times), 1), "unit": "ms",
            "note": "1,040,384-byte sample, 5 grantees, seal + open, native backend, median of 5"},
    }


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=1))
