"""Runs code on the chip's interpreter: MicroPython 1.27.0's unix port built 32-bit with a fixed
heap and lccrypto compiled in (`make chip` builds it to build/chip/micropython32)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# LCCRYPTO_INTERPRETER=build/chip-asan/micropython32 runs the same tests under the sanitizers.
MICROPYTHON32 = REPO / os.environ.get("LCCRYPTO_INTERPRETER", "build/chip/micropython32")
DRIVER = Path(__file__).with_name("lcdriver.py")
BUDGET_HEAP = "96K"  # the ESP32-WROOM budget the firmware must fit (issue 17)


def interpreter() -> Path:
    if not MICROPYTHON32.exists():
        raise RuntimeError(f"{MICROPYTHON32} is missing: run `make chip` (make test does)")
    return MICROPYTHON32


def run(code: str, heap: str = BUDGET_HEAP, timeout: float = 300) -> subprocess.CompletedProcess:
    """python code -> the finished process (stdout, stderr, returncode as text)."""
    return subprocess.run([str(interpreter()), "-X", f"heapsize={heap}", "-c", code],
                          capture_output=True, text=True, timeout=timeout)


def _tok(a) -> str:
    if a is None:
        return "~"
    if isinstance(a, int):
        return f"#{a}"
    return bytes(a).hex() or "-"


class Error(str):
    """A ValueError the native function raised (its message)."""


class TypeErr(str):
    """A TypeError the native function raised (its message)."""


class OverflowErr(str):
    """An OverflowError the native function raised (an int argument beyond a machine word)."""


def call_many(calls, heap: str = BUDGET_HEAP, timeout: float = 600):
    """[(function name, arg, ...)] -> ([result per call], peak heap bytes); args are bytes,
    int or None; results are True / False / bytes / Error(message) / TypeErr / OverflowErr(message). One
    interpreter process for the whole batch."""
    text = "".join(" ".join([name] + [_tok(a) for a in args]) + "\n" for name, *args in calls)
    p = subprocess.run([str(interpreter()), "-X", f"heapsize={heap}", str(DRIVER)],
                       input=text, capture_output=True, text=True, timeout=timeout)
    lines = p.stdout.splitlines()
    if p.returncode != 0 or not lines or not lines[-1].startswith("heap ") or p.stderr:
        raise AssertionError(f"driver failed (rc {p.returncode}): {p.stdout[-1500:]} {p.stderr[-3000:]}")
    out = []
    for line in lines[:-1]:
        if line == "T":
            out.append(True)
        elif line == "F":
            out.append(False)
        elif line.startswith("E "):
            out.append(Error(line[2:]))
        elif line.startswith("TE "):
            out.append(TypeErr(line[3:]))
        elif line.startswith("OE "):
            out.append(OverflowErr(line[3:]))
        else:
            out.append(b"" if line == "-" else bytes.fromhex(line))
    assert len(out) == len(calls), (len(out), len(calls))
    return out, int(lines[-1].split()[1])


MODULE_SCRIPT = """
import sys
sys.path[:] = %r
import mptest
sys.exit(1 if mptest.run_module(%r) else 0)
"""


def run_dual_module(test_dir: Path, module: str, heap: str = BUDGET_HEAP, frozen_first: bool = True,
                    timeout: float = 900) -> subprocess.CompletedProcess:
    """One dual-runtime test module (tests/mp/mptest.py drives it) inside the chip's interpreter.
    frozen_first: the chip package comes from the frozen image (the native variant, as a board
    runs it); otherwise from the repository's files (modules the image leaves out, such as the
    pure-Python curves, and their bytecode then sits in the heap)."""
    package = [".frozen", str(REPO)] if frozen_first else [str(REPO), ".frozen"]
    path = [str(test_dir), str(REPO / "tests" / "chip"), str(REPO / "tests" / "mp")] + package
    return run(MODULE_SCRIPT % (path, module), heap=heap, timeout=timeout)
