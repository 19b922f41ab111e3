"""Every dual-runtime test module in tests/chip/core/ and tests/chip/crypto/ run inside real MicroPython 1.27.

One pytest test per test_*.py file there (found at collection time, so new modules are
picked up without touching this file). Each runs lightclient/hwtest/mp_runner.mjs under node, which runs the
module's test_* functions through tests/mp/mptest.py, and fails with the FAIL lines and
tracebacks if any test failed, did not run, or the module did not import.

The other tests here check the harness itself (it is MicroPython 1.27, failures are reported as
failures, exit codes) and pin the facts about the port's heap that lightclient/hwtest/micropython.py relies on.

Every test function of every module runs here, with every vector file. The exception: a sweep
that mutates an input at every byte position (ics23's raw byte flips, the vote sign bytes in
test_types) takes every k-th position here (tests/chip/dual.py: sweep_stride). Each such sweep
runs in full on CPython and under the chip's own MicroPython 1.27 (tests/chip32 runs every module
of tests/chip/core), and the positions kept here still reach each code path; the full sweep on
WebAssembly cost ~12 s of the suite's time.

Per-module timeout: LIGHTCLIENT_MP_TIMEOUT seconds (default 900).
"""

from __future__ import annotations

import ast
import os
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lightclient.hwtest import micropython as mpy  # noqa: E402

CHIP_TESTS = REPO / "tests" / "chip"
DUAL_DIRS = (CHIP_TESTS / "core", CHIP_TESTS / "crypto")
TIMEOUT = float(os.environ.get("LIGHTCLIENT_MP_TIMEOUT", "900"))


def _core_modules() -> list[str]:
    return sorted(p.stem for d in DUAL_DIRS for p in d.glob("test_*.py"))


def _defined_tests(path: Path) -> list[str]:
    """Top-level `def test_*` names, as pytest would collect them on CPython."""
    tree = ast.parse(path.read_text(), str(path))
    return [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    ]


@pytest.fixture(scope="module", autouse=True)
def _need_runner():
    missing = mpy.available()
    if missing:
        # Not a skip: without node the MicroPython half of the suite would silently vanish.
        pytest.fail("cannot run MicroPython: " + missing)


@pytest.mark.parametrize("module", _core_modules())
def test_core_module_passes_on_micropython(module):
    m = mpy.run_module(module, timeout=TIMEOUT)
    report = m.failure_report()
    assert m.result.returncode != -9, "timed out after %gs\n%s" % (TIMEOUT, report)
    assert m.ok, "%s failed under MicroPython (exit %d):\n%s" % (
        module,
        m.result.returncode,
        report,
    )
    # Every test CPython would run ran here too, under the same name.
    expected = _defined_tests(next(d / (module + ".py") for d in DUAL_DIRS
                                   if (d / (module + ".py")).is_file()))
    assert sorted(m.passed) == sorted(expected), (
        "tests run under MicroPython differ from the module's test functions: "
        "missing %s, unexpected %s"
        % (sorted(set(expected) - set(m.passed)), sorted(set(m.passed) - set(expected)))
    )
    assert m.closing == (len(expected), 0)


def test_runner_is_micropython_1_27():
    info = mpy.implementation()
    assert info["name"] == "micropython"
    assert info["version"][:2] == [1, 27]
    assert info["platform"] == "webassembly"
    # The core and the dual-runtime tests are importable.
    assert "/repo" in info["path"] and "/repo/tests/chip/core" in info["path"]


def test_core_and_dual_are_the_repository_files():
    r = mpy.run_script(
        textwrap.dedent(
            """
            import sys, dual
            import lightclient.chip.core.errors as errors
            print(sys.implementation.name, dual.IS_MICROPYTHON, errors.__file__)
            print(dual.vector_path("cbor/appendix_a.json"))
            print(len(dual.load_json("cbor/appendix_a.json")))
            """
        ),
        vectors=["cbor"],
    ).check()
    lines = r.stdout.split("\n")
    assert lines[0] == "micropython True /repo/lightclient/chip/core/errors.py"
    assert lines[1] == "/shared/vectors/cbor/appendix_a.json"
    assert int(lines[2]) > 50


FAILING_MODULE = '''
import dual

def test_passes():
    assert dual.IS_MICROPYTHON

def test_assertion_fails():
    assert 1 + 1 == 3, "arithmetic is broken"

def test_raises_keyerror():
    {}["no such key"]

def test_expects_an_exception_that_never_comes():
    dual.raises(ValueError, lambda: None)

def test_sys_exit_is_a_failure_too():
    import sys
    sys.exit(0)

def test_runs_after_the_failures():
    pass
'''


def test_failing_module_is_reported_as_failing(tmp_path):
    (tmp_path / "test_deliberately_failing.py").write_text(FAILING_MODULE)
    m = mpy.run_module("test_deliberately_failing", extra_dirs=[tmp_path], vectors="none")
    out = m.result.stdout
    assert m.result.returncode == 1, out
    assert not m.ok
    assert m.closing == (2, 4)
    assert out.strip().splitlines()[-1] == "2 passed, 4 failed"
    assert sorted(m.passed) == ["test_passes", "test_runs_after_the_failures"]
    assert sorted(m.failed) == [
        "test_assertion_fails",
        "test_expects_an_exception_that_never_comes",
        "test_raises_keyerror",
        "test_sys_exit_is_a_failure_too",
    ]
    assert "FAIL test_assertion_fails: AssertionError: arithmetic is broken" in out
    assert "FAIL test_raises_keyerror: KeyError: no such key" in out
    # Tracebacks name the test file and line.
    assert 'test_deliberately_failing.py", line 8, in test_assertion_fails' in out
    # Runs in definition order, as pytest does.
    names = [ln.split()[1].rstrip(":") for ln in out.splitlines() if ln[:5] in ("PASS ", "FAIL ")]
    assert names == _defined_tests(tmp_path / "test_deliberately_failing.py")


def test_module_that_does_not_import_is_a_failure(tmp_path):
    (tmp_path / "test_broken_import.py").write_text("import no_such_module\n\ndef test_x():\n    pass\n")
    m = mpy.run_module("test_broken_import", extra_dirs=[tmp_path], vectors="none")
    assert m.result.returncode == 1
    assert m.closing == (0, 1)
    assert "FAIL <import test_broken_import>: ImportError" in m.result.stdout


def test_missing_module_is_a_failure():
    m = mpy.run_module("test_no_such_module_anywhere", vectors="none")
    assert m.result.returncode == 1 and m.closing == (0, 1)


def test_exec_exit_codes():
    ok = mpy.run_script("print('hi', end='')", vectors="none")
    assert (ok.returncode, ok.stdout) == (0, "hi")  # output without a final newline is kept
    boom = mpy.run_script("def f():\n    raise ValueError('boom')\nf()\n", vectors="none")
    assert boom.returncode == 1
    assert "ValueError: boom" in boom.stderr and 'line 2, in f' in boom.stderr
    assert mpy.run_script("import sys\nsys.exit(7)", vectors="none").returncode == 7
    assert mpy.run_script("import sys\nsys.exit()", vectors="none").returncode == 0


def test_extra_files_are_importable_and_readable():
    r = mpy.run_script(
        "import helper\nprint(helper.X, open('/files/data.bin', 'rb').read(), open('/abs/y').read())",
        extra_files={"helper.py": b"X = 41 + 1\n", "data.bin": b"\x00\x01", "/abs/y": b"why"},
        vectors="none",
    ).check()
    assert r.stdout.strip() == "42 b'\\x00\\x01' why"


# --- facts about the port's heap that lightclient/hwtest/micropython.py relies on --------------------------


def test_heapsize_is_not_a_limit():
    """The heap grows on demand: a 64 KiB heapsize runs a 200 KB allocation."""
    r = mpy.run_script(
        "import gc\nb = bytearray(200000)\nprint(len(b), gc.mem_alloc())",
        heapsize=64 * 1024,
        vectors="none",
    ).check()
    n, alloc = map(int, r.stdout.split())
    assert n == 200000 and alloc >= 200000


def test_no_garbage_is_reclaimed_during_a_call():
    """gc.collect() inside a call reclaims nothing; the next top-level call sees it collected."""
    code = textwrap.dedent(
        """
        import gc
        gc.collect()
        a = gc.mem_alloc()
        for i in range(10):
            x = bytearray(100000)
            gc.collect()
        print(gc.mem_alloc() - a)
        """
    )
    grown = int(mpy.run_script(code, vectors="none").check().stdout)
    assert grown >= 10 * 100000
    p = mpy.heap_profile(
        "def workload():\n    for i in range(10):\n        x = bytearray(100000)\n        yield\n",
        vectors="none",
    )
    # Between steps the garbage is gone: live never holds more than one 100 KB buffer.
    assert all(s.live_before < 2 * 100000 for s in p.steps)


def test_heap_profile_bounds_a_known_peak():
    p = mpy.heap_profile(
        textwrap.dedent(
            """
            def workload():
                keep = bytearray(100000)      # live across checkpoints
                yield
                for i in range(50):
                    tmp = bytearray(1000)     # garbage, at most 1 KB live at a time
                yield
                del keep
                yield
            """
        ),
        vectors="none",
    )
    # The true peak is about 101 KB (keep + one tmp), plus the interpreter's own live heap.
    assert 100000 <= p.peak_lower <= p.peak_upper <= p.peak_upper_strict
    assert p.peak_lower < 100000 + 20000
    assert p.steps[1].allocated >= 50 * 1000  # gross allocation of the loop
    assert p.steps[-1].live_before < 20000  # keep was collected after `del keep`
    assert p.live_end < 20000


def test_mptest_driver_also_runs_on_cpython(tmp_path):
    """mptest.run_module() in one go (how a board without the JS runner would use it)."""
    import subprocess

    (tmp_path / "test_deliberately_failing.py").write_text(FAILING_MODULE.replace(
        "assert dual.IS_MICROPYTHON", "assert not dual.IS_MICROPYTHON"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(CHIP_TESTS), str(REPO)]))
    p = subprocess.run(
        [sys.executable, str(REPO / "tests" / "mp" / "mptest.py"), "test_deliberately_failing"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert p.returncode == 1
    assert p.stdout.strip().splitlines()[-1] == "2 passed, 4 failed"
