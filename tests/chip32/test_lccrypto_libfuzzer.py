# A short libFuzzer pass over each C harness (firmware/cmodules/fuzz/: lccrypto's pure core, the
# code the chip runs, under AddressSanitizer + UBSan, each with its property checks), seeded with
# the Wycheproof vectors. Any crash, sanitizer report or failed property fails the test with
# libFuzzer's report. `make fuzz-c` runs the long pass (docs/fuzzing.md, "C bindings").
import subprocess

import pytest

from bench import fuzz_c

# Executions per harness: the elliptic-curve harnesses cost ~2 ms an input under the sanitizers.
RUNS = {"ed25519": 1000, "secp256k1": 1000, "x25519": 1000, "aead": 5000, "hmac_hkdf": 5000,
        "sha512": 5000, "ed25519_group": 1000, "frame": 5000, "ics23": 5000}


@pytest.fixture(scope="module")
def harnesses():
    fuzz_c.build()


@pytest.mark.parametrize("harness", fuzz_c.HARNESSES)
def test_short_fuzz_pass_finds_nothing(harnesses, harness, tmp_path):
    # libFuzzer counts the seed corpus first: the runs asked for go past it. A fresh corpus
    # directory: the long pass's grown corpus would make this one slower.
    runs = RUNS[harness] + len(fuzz_c.seed_inputs(harness))
    r = fuzz_c.fuzz_one(harness, runs=runs, seconds=60, seed=16, corpus=tmp_path)
    assert not r["crashed"], r["log"]
    assert r["inputs"] >= runs, (r["inputs"], r["log"])


def test_an_overread_of_an_argument_is_caught(tmp_path):
    # fuzz_input.h gives each argument its own exact-size heap block, so reading one byte past
    # an argument (as a binding reading past a bytes object would) is a sanitizer report
    src = tmp_path / "overread.c"
    src.write_text('#include "fuzz_input.h"\n'
                   "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {\n"
                   "    fuzz_in in = {.p = d, .n = n}; size_t len;\n"
                   "    uint8_t *a = fuzz_take(&in, 4, &len);\n"
                   "    volatile uint8_t x = len == 4 ? a[len] : 0; (void)x;\n"
                   "    fuzz_free(&in); return 0; }\n")
    exe = tmp_path / "overread"
    subprocess.run(["clang", "-g", "-fsanitize=fuzzer,address", f"-I{fuzz_c.HARNESS_DIR}",
                    f"-I{fuzz_c.HARNESS_DIR.parent / 'lccrypto'}", str(src), "-o", str(exe)],
                   check=True, capture_output=True)
    short, hit = tmp_path / "short", tmp_path / "hit"
    short.write_bytes(b"abc")
    hit.write_bytes(b"abcdef")
    assert subprocess.run([str(exe), str(short)], capture_output=True).returncode == 0
    p = subprocess.run([str(exe), str(hit)], capture_output=True, text=True)
    assert p.returncode != 0 and "heap-buffer-overflow" in p.stderr, p.stderr[-2000:]
