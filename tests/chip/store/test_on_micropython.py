"""The store's dual-runtime tests (tests/chip/store/dual/) inside real MicroPython 1.27.

The MicroPython runner copies the chip package (lightclient/chip) into its filesystem; the store's
files are given again file by file (--file), so the run uses exactly these; every test function of
the module must pass there too.
"""

import ast
import sys
from pathlib import Path

import pytest

from lightclient.hwtest import micropython as mpy

REPO = Path(__file__).resolve().parents[3]
DUAL = Path(__file__).resolve().parent / "dual"
PACKAGE = REPO / "lightclient" / "chip" / "store"


def _store_files():
    args = []
    for p in sorted(PACKAGE.glob("*.py")):
        args += ["--file", "/repo/lightclient/chip/store/%s=%s" % (p.name, p)]
    return args


def run_dual_module(module="test_store_dual", timeout=300):
    return mpy.run_module(module, extra_dirs=[DUAL], timeout=timeout, vectors="none",
                          extra_args=_store_files())


def test_store_dual_module_passes_on_micropython():
    missing = mpy.available()
    if missing:
        pytest.fail("cannot run MicroPython: " + missing)  # not a skip: see tests/mp/
    m = run_dual_module()
    assert m.ok, m.failure_report()
    tree = ast.parse((DUAL / "test_store_dual.py").read_text())
    expected = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert sorted(m.passed) == sorted(expected) and len(expected) >= 7
    assert "micropython" not in sys.implementation.name  # the host side is CPython
