"""The chip package's dual-runtime tests inside the chip's own interpreter: MicroPython 1.27.0's
unix port, 32-bit, lccrypto compiled in, the chip package frozen in its native variant, at the
budget heap (-X heapsize=96K) unless the table below says otherwise.

Every test function a module defines must pass (tests/mp/mptest.py drives them, as on the
WebAssembly runs). What runs where:
- frozen: the chip package comes from the image, as on a board;
- files: the module also imports what the image leaves out (the pure-Python Ed25519 signer its
  fixtures use, the Pi-side JSON decoder rpcjson), so the package is loaded from the repository's
  files and its bytecode sits in the heap (no mixing: a frozen package cannot load a submodule
  from files).
The pure-Python curve and SHA-512 tests (tests/chip/crypto/test_{ed25519,secp256k1,sha512}.py)
are not run here: the native image does not carry those modules (they run on WebAssembly).

OVER_BUDGET lists the modules that do not fit 96 KiB yet, each with a heap (KiB) it passed at when
measured, a step or two above the smallest that did, and why; a module that fits the budget must
leave it. (Fragmentation makes "smallest" approximate: a larger heap can fail where a smaller
one passed.)
"""

import ast
import re

import pytest

from tests.chip32.chip32 import REPO, run_dual_module

CHIP_TESTS = REPO / "tests" / "chip"
MODULES = {  # module -> (folder, frozen)
    "test_cbor": ("core", False), "test_cbor_lazy": ("core", True),
    "test_dual_selfcheck": ("core", True), "test_ics23": ("core", True),
    "test_merkle": ("core", True), "test_proto": ("core", True),
    "test_packed_validators": ("core", False), "test_types": ("core", False),
    "test_update": ("core", False), "test_verifier": ("core", False),
    "test_ripemd160": ("crypto", True), "test_store_dual": ("store/dual", False),
    "test_trusted_packed": ("core", True),
}
OVER_BUDGET = {  # module -> (KiB it needs, why)
    "test_cbor": (416, "files mode (cbor_fields); bounds tests build 64 KiB and 100 KB inputs"),
    "test_ics23": (560, "bounds tests build inputs beyond 128 KiB"),
    "test_packed_validators": (224, "files mode: the package's bytecode in the heap (192 until "
                               "the prefix-set tests and the new firmware groups)"),
    "test_types": (264, "files mode"),
    "test_update": (1536, "files mode; 100-validator fixtures built in the test; one 36 KB "
                    "buffer in a fragmented heap: failed at 912-1184, passed at 1280 and 1536"),
    "test_verifier": (288, "files mode; random keys make the fragmentation vary: 240 failed "
                      "once (a 1 KB block) and passed on the next runs"),
    "test_store_dual": (104, "files mode: the store's and the error taxonomy's bytecode in the "
                        "heap; 96 fails on a 4 KiB sector buffer since both merged, 104 passes"),
}


def _defined_tests(path):
    tree = ast.parse(path.read_text(), str(path))
    return sorted(n.name for n in tree.body
                  if isinstance(n, ast.FunctionDef) and n.name.startswith("test_"))


def test_every_dual_module_is_listed():
    found = {p.stem for d in ("core", "store/dual") for p in (CHIP_TESTS / d).glob("test_*.py")}
    assert found <= set(MODULES), sorted(found - set(MODULES))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_passes_on_the_chip_build(module):
    folder, frozen = MODULES[module]
    heap = "%dK" % OVER_BUDGET.get(module, (96,))[0]
    p = run_dual_module(CHIP_TESTS / folder, module, heap=heap, frozen_first=frozen)
    out = p.stdout
    assert p.returncode == 0, out[-4000:] + p.stderr[-2000:]
    passed = sorted(re.findall(r"^PASS (\w+)", out, re.M))
    assert passed == _defined_tests(CHIP_TESTS / folder / (module + ".py"))
    assert out.strip().splitlines()[-1] == "%d passed, 0 failed" % len(passed)
