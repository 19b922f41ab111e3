# The short pass of `make fuzz` (fuzz/): every decoder of untrusted bytes under atheris, coverage-
# guided from the real recorded data, a couple of thousand inputs each, two processes at a time.
# Fails on any crash: an exception that is not the project's typed error, a broken contract, an
# input over the time limit, or an allocation over the bound (fuzz/run.py). The crash's input is
# left in the temporary folder named in the output; replay it with
# `python -m fuzz.run TARGET --replay FILE`.
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = 2000


def test_every_decoder_survives_a_short_fuzz_pass(tmp_path):
    r = subprocess.run([sys.executable, "-m", "fuzz.campaign", "--runs", str(RUNS), "--jobs",
                        "2", "--no-results", "--workdir", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    from fuzz.targets import TARGETS
    lines = [ln for ln in r.stdout.splitlines() if "inputs" in ln and "crashes: 0" in ln]
    assert len(lines) == len(TARGETS), out
    assert "not all runs done" not in out, out
