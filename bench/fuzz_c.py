"""libFuzzer + AddressSanitizer + UBSan on the chip's C crypto core (firmware/cmodules/fuzz/).

`make fuzz-c` (python -m bench.fuzz_c): builds the harnesses with clang into build/fuzz-c/,
turns the Wycheproof vectors into seed inputs there (never committed), runs each harness for
FUZZ_C_RUNS executions (default 10^6) or FUZZ_C_SECONDS seconds (default 120), whichever comes
first, and merges `fuzz.c.<harness>.inputs` and `fuzz.c.crashes` into bench/results.json.
A crash's input is kept as build/fuzz-c/crashes/<harness>-crash-<sha1>; replay it with
`build/fuzz-c/fuzz_<harness> <file>`. docs/fuzzing.md, section "C bindings".
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HARNESS_DIR = REPO / "firmware" / "cmodules" / "fuzz"
OUT = REPO / "build" / "fuzz-c"
WYCHEPROOF = REPO.parent / "shared" / "vectors" / "wycheproof"
HARNESSES = ("ed25519", "secp256k1", "x25519", "aead", "hmac_hkdf", "sha512", "ed25519_group",
             "frame", "ics23")
ICS23 = REPO.parent / "shared" / "vectors" / "ics23"
RECORD_PROOF = REPO / "tests" / "localchain" / "vectors" / "device_record_proof.json"


def ics23_exist_proofs() -> list[tuple[str, bytes, bytes, bytes]]:
    """(op type, key, value, CommitmentProof) of the existence proofs C checks: cosmos/ics23's
    IAVL and simple-tree vectors, and a real x/devices record's two ops (local chain)."""
    out = []
    for folder, typ in (("iavl", "ics23:iavl"), ("tendermint", "ics23:simple")):
        for side in ("left", "middle", "right"):
            d = json.loads((ICS23 / folder / f"exist_{side}.json").read_text())
            out.append((typ, bytes.fromhex(d["key"]), bytes.fromhex(d["value"]),
                        bytes.fromhex(d["proof"])))
    from lightclient.chip.core import ics23, ics23_types
    r = json.loads(RECORD_PROOF.read_text())["abci_query"]["response"]
    value = base64.b64decode(r["value"])
    for op in r["proofOps"]["ops"]:
        key, data = base64.b64decode(op["key"]), base64.b64decode(op["data"])
        out.append((op["type"], key, value, data))
        proof = ics23_types.decode_commitment_proof(data)
        value = ics23.existence_root(proof, ics23_types.SPECS_BY_OP_TYPE[op["type"]], key, value)
    return out


def build() -> None:
    """Builds (incrementally) every harness; raises with clang's words when it cannot."""
    p = subprocess.run(["make", "-s", "-C", str(HARNESS_DIR), f"OUT={OUT}", "-j2"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"building the C fuzz harnesses failed (is clang with libFuzzer "
                           f"installed? `make fuzz-c` installs it):\n{p.stdout[-2000:]}{p.stderr[-3000:]}")


def _load(name):
    data = json.loads((WYCHEPROOF / f"{name}.json").read_text())
    return [(g, t) for g in data["testGroups"] for t in g["tests"]]


def _h(s):
    return bytes.fromhex(s)


def _sel(length: int, want: int) -> int | None:
    """The length-selector byte (fuzz_input.h's fuzz_len) that gives `length`, if any."""
    if length == want:
        return 0
    sel = 224 + 16 + length - want
    return sel if 224 <= sel <= 255 else None


def seed_inputs(harness: str) -> list[bytes]:
    """Wycheproof vectors in the harness's input layout (see each fuzz_<harness>.c)."""
    seeds = []
    if harness in ("ed25519", "sha512"):
        for g, t in _load("ed25519_test"):
            pk, sig, msg = _h(g["publicKey"]["pk"]), _h(t["sig"]), _h(t["msg"])
            if harness == "sha512":
                seeds.append(bytes([t["tcId"] & 0xFF, len(msg) & 0xFF]) + msg)
            elif _sel(len(sig), 64) is not None:
                seeds.append(bytes([0, _sel(len(sig), 64), t["tcId"] & 0xFF]) + pk + sig + msg)
    elif harness == "secp256k1":
        for g, t in _load("ecdsa_secp256k1_sha256_p1363_test"):
            pub, sig, msg = _h(g["publicKey"]["uncompressed"]), _h(t["sig"]), _h(t["msg"])
            comp = bytes([3 if pub[64] & 1 else 2]) + pub[1:33]
            if _sel(len(sig), 64) is None:
                continue
            seeds.append(bytes([1, 0, _sel(len(sig), 64), t["tcId"] & 0xFF]) + pub + sig + msg)
            seeds.append(bytes([0, 0, _sel(len(sig), 64), t["tcId"] & 0xFF]) + comp + sig + msg)
    elif harness == "ed25519_group":   # the keys and R halves of the Ed25519 vectors as points
        for g, t in _load("ed25519_test"):
            seeds.append(b"\0\0" + _h(t["sig"])[32:64].ljust(32, b"\0") + _h(g["publicKey"]["pk"]))
    elif harness == "x25519":
        for _, t in _load("x25519_test"):
            seeds.append(b"\0\0" + _h(t["private"]) + _h(t["public"]))
    elif harness == "aead":
        for name, construction, want in (("chacha20_poly1305_test", 0, 12),
                                         ("xchacha20_poly1305_test", 1, 24)):
            for _, t in _load(name):
                key, iv, aad = _h(t["key"]), _h(t["iv"]), _h(t["aad"])
                ks, ns = _sel(len(key), 32), _sel(len(iv), want)
                if ks is None or ns is None or len(aad) > 255:
                    continue
                seeds.append(bytes([construction, ks, ns, len(aad), t["tcId"] & 0xFF])
                             + key + iv + aad + _h(t["ct"]) + _h(t["tag"]))
    elif harness == "hmac_hkdf":
        for _, t in _load("hmac_sha256_test"):
            key = _h(t["key"])
            if len(key) <= 255:
                seeds.append(bytes([len(key), 0, 0, 0, 32]) + key + _h(t["msg"]))
        for _, t in _load("hkdf_sha256_test"):
            ikm, salt, info = _h(t["ikm"]), _h(t["salt"]), _h(t["info"])
            if max(len(ikm), len(salt), len(info)) <= 255:
                seeds.append(bytes([len(ikm), len(salt), len(info), t["size"] >> 8, t["size"] & 0xFF])
                             + ikm + salt + info)
    elif harness == "frame":   # SMP frames (not Wycheproof): good ones, torn, with console noise
        from lightclient.chip.smp import frame
        for n in (0, 1, 89, 90, 300, 2000):
            wire = bytes(frame.encode_packet(bytes(8) + (bytes(range(256)) * 8)[:n]))
            for step in (0, 1, 63, 255):
                seeds.append(bytes([255, step]) + wire)
                seeds.append(bytes([n & 0xFF, step]) + b"boot\n\x06" + wire + wire[:len(wire) // 2])
    elif harness == "ics23":   # [spec][key length][value sel][key][value][proof] (fuzz_ics23.c)
        for typ, key, value, proof in ics23_exist_proofs():
            spec = 0 if typ == "ics23:iavl" else 1
            seeds.append(bytes([spec, len(key), 0]) + key + proof)
            if len(value) == 32:
                seeds.append(bytes([spec, len(key), 1]) + key + value + proof)
    else:
        raise ValueError(f"no harness {harness!r}")
    return seeds


def write_seeds(harness: str) -> Path:
    d = OUT / "seeds" / harness
    d.mkdir(parents=True, exist_ok=True)
    for s in seed_inputs(harness):
        (d / hashlib.sha1(s).hexdigest()).write_bytes(s)
    return d


def fuzz_one(harness: str, runs: int, seconds: int, seed: int = 1, corpus: Path | None = None) -> dict:
    """One libFuzzer session -> {"inputs": executions, "crashed": bool, "log": tail of output}.
    New inputs go to `corpus` (default build/fuzz-c/corpus/<harness>, kept between runs)."""
    seeds = write_seeds(harness)
    corpus = corpus or OUT / "corpus" / harness
    corpus.mkdir(parents=True, exist_ok=True)
    crashes = OUT / "crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    cmd = [str(OUT / f"fuzz_{harness}"), f"-runs={runs}", f"-max_total_time={seconds}",
           f"-seed={seed}", "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
           f"-artifact_prefix={crashes}/{harness}-", str(corpus), str(seeds)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 300)
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", p.stderr)
    return {"inputs": int(m.group(1)) if m else 0, "crashed": p.returncode != 0,
            "log": p.stderr[-4000:]}


def run_all(runs: int, seconds: int) -> dict:
    """-> bench figures: fuzz.c.<harness>.inputs and fuzz.c.crashes."""
    build()
    figures, crashed = {}, []
    for h in HARNESSES:
        r = fuzz_one(h, runs, seconds)
        figures[f"fuzz.c.{h}.inputs"] = {
            "value": r["inputs"], "unit": "inputs",
            "note": f"libFuzzer+ASan+UBSan, {runs} runs or {seconds} s, whichever first"}
        if r["crashed"]:
            crashed.append(h)
            print(f"fuzz_{h} CRASHED:\n{r['log']}", file=sys.stderr)
        print(f"# fuzz_{h}: {r['inputs']} inputs, {'CRASH' if r['crashed'] else 'no crash'}",
              file=sys.stderr)
    figures["fuzz.c.crashes"] = {"value": len(crashed), "unit": "harnesses",
                                 "note": " ".join(crashed) or "none"}
    return figures


def run():
    """bench.run's entry point (not in `make bench`: `make fuzz-c` runs it)."""
    return run_all(int(os.environ.get("FUZZ_C_RUNS", 10**6)),
                   int(os.environ.get("FUZZ_C_SECONDS", 120)))


if __name__ == "__main__":
    from bench import run as bench_run
    status = bench_run.main(["bench.fuzz_c"])  # merges into results.json, prints the table
    crashes = json.loads(bench_run.RESULTS.read_text())["fuzz.c.crashes"]["value"]
    sys.exit(1 if crashes else status)
