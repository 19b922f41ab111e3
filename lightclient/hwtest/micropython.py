"""Run code inside real MicroPython 1.27 (the WebAssembly port under node) from CPython.

A thin API over lightclient/hwtest/mp_runner.mjs, for the benchmarks and the firmware tests:

    from lightclient.hwtest.micropython import run_script, run_module, heap_profile, implementation

    r = run_script("import lightclient.chip.core.merkle as m\\nprint(m.__name__)")
    r.check()                      # raises MpError with stdout/stderr unless returncode == 0
    print(r.stdout)

    p = heap_profile('''
    from lightclient.chip.core import merkle
    def workload():
        data = [bytes([i]) * 32 for i in range(64)]
        yield                      # checkpoint: garbage is collected and the heap sampled here
        merkle.root(data)
        yield
    ''')
    print(p.peak_lower, p.peak_upper, p.peak_upper_strict)

In MicroPython the repository's core is importable (`import lightclient.chip.core.x`), so are the
dual-runtime tests (`import dual`, `import test_foo`), and ../shared/vectors is at
/shared/vectors (see lightclient/hwtest/mp_runner.mjs for the layout).

How heap use can be measured in this port, and why not by bisecting the heap size
-------------------------------------------------------------------------------
Measured facts about the pyscript build of MicroPython 1.27 (pinned by tests in
tests/mp/test_core_on_micropython.py, so a change of port shows up as a failing test):

1. `heapsize` is NOT a limit. It is only the first GC heap area; the build has
   MICROPY_GC_SPLIT_HEAP_AUTO, so when an allocation does not fit, the heap grows by a new area
   (doubling, up to the 2 GiB of wasm memory). A 64 KiB heapsize runs a 200 KB allocation.
   So "the smallest heapsize that still runs X" does not exist here: bisecting it measures
   nothing, which is why this module has no min_heap_bytes().
2. While Python code runs, garbage is never reclaimed: the port's gc_collect() only marks a
   collection as pending (ports/webassembly/main.c), and the collection runs when control
   returns to JavaScript at top level, where no stack roots exist. `gc.collect()` inside a call
   reclaims nothing. One call that allocates ~2 GiB in total fails with MemoryError.

What follows, and what heap_profile() reports:
- `live` at a checkpoint (gc.mem_alloc() right after such a top-level collection) is the heap
  really reachable at that moment: the collection ran with no stack, so nothing dead is kept.
  The largest of these is a LOWER bound on the peak (`peak_lower`).
- `used_end` of a step (gc.mem_alloc() at the end of the step, before returning) is the live
  heap at the step's start plus everything the step allocated, since nothing was reclaimed.
  It bounds from above every moment of the step, except for C-level temporaries the runtime
  frees explicitly (gc_free/realloc, e.g. inside one bignum operation). The largest of these
  is `peak_upper`: the practical upper bound.
- `heap_total` (the sum of the GC heap areas) only grows during a call, so it is an upper bound
  on the heap in use at every moment of the step without exception: `peak_upper_strict`.
  It is coarse (areas double) and starts at `heapsize`.
The true peak of live heap (what a board with a fixed heap needs, plus fragmentation) lies in
[peak_lower, peak_upper]. The finer the workload's steps (a `yield` between them), the closer
the bounds, but a single compute-heavy step (a signature check) allocates far more garbage than
it ever holds live, so its upper bound stays loose. A tight peak needs a runtime that collects
during a call: a board (firmware tests, gc.mem_alloc() after gc.collect()) or MicroPython's unix
port with `-X heapsize=`, neither of which is available here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "mp_runner.mjs"
PACKAGE_DIR = REPO / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"

__all__ = [
    "MpError",
    "MpResult",
    "ModuleResult",
    "HeapStep",
    "HeapProfile",
    "available",
    "implementation",
    "run_runner",
    "run_script",
    "run_module",
    "heap_profile",
]


class MpError(RuntimeError):
    """The runner failed (non-zero exit, timeout, or output it could not parse)."""


@dataclass
class MpResult:
    stdout: str
    stderr: str
    returncode: int
    seconds: float = 0.0  # wall time of the whole node process

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def check(self) -> "MpResult":
        if self.returncode != 0:
            raise MpError(
                "MicroPython run failed (exit %d)\n--- stdout ---\n%s\n--- stderr ---\n%s"
                % (self.returncode, self.stdout[-4000:], self.stderr[-4000:])
            )
        return self


def available() -> str | None:
    """None if node and the MicroPython package are there; otherwise what is missing."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (PACKAGE_DIR / "micropython.mjs").exists():
        return "node_modules lacks @micropython/micropython-webassembly-pyscript (run `make setup`)"
    return None


def run_runner(args: list[str], timeout: float = 120) -> MpResult:
    """Run lightclient/hwtest/mp_runner.mjs with raw arguments. A timeout gives returncode -9 (not raised)."""
    missing = available()
    if missing:
        raise MpError(missing)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            ["node", str(RUNNER), *args],
            cwd=str(REPO),
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        err = (e.stderr or b"").decode("utf-8", "replace")
        return MpResult(out, err + "\nrunner: timed out after %gs" % timeout, -9, timeout)
    return MpResult(
        p.stdout.decode("utf-8", "replace"),
        p.stderr.decode("utf-8", "replace"),
        p.returncode,
        time.perf_counter() - t0,
    )


def _common_args(heapsize, vectors, extra_dirs=()):
    args = []
    if heapsize is not None:
        args += ["--heapsize", str(int(heapsize))]
    if vectors is not None:
        args += ["--vectors", vectors if isinstance(vectors, str) else ",".join(vectors)]
    for d in extra_dirs:
        args += ["--extra-dir", str(d)]
    return args


def _stage_files(tmp: Path, extra_files: dict[str, bytes] | None) -> list[str]:
    """--file arguments for extra_files. Relative names go under /files (on sys.path)."""
    args = []
    for i, (name, data) in enumerate((extra_files or {}).items()):
        src = tmp / ("f%d" % i)
        src.write_bytes(data if isinstance(data, (bytes, bytearray)) else str(data).encode())
        args += ["--file", "%s=%s" % (name, src)]  # the runner puts relative names in /files
    return args


def run_script(
    code: str,
    extra_files: dict[str, bytes] | None = None,
    heapsize: int | None = None,
    timeout: float = 120,
    vectors: str | list[str] | None = "all",
    steps: str | None = None,
) -> MpResult:
    """Run `code` as __main__ in a fresh MicroPython, in ONE top-level call.

    extra_files: {path: content}; absolute paths are used as they are, relative ones are put
    under /files, which is on sys.path (so {"helper.py": b"..."} is importable as `helper`).
    heapsize: initial GC heap in bytes (default 1 MiB). It is not a limit: see the module doc.
    vectors: "all", "none", or subdirectories of ../shared/vectors to copy to /shared/vectors.
    steps: name of a generator function defined by `code`, to be resumed one top-level call per
    yield (used by heap_profile).
    The result's returncode is 0, 1 for an uncaught exception (traceback in stderr), or the code
    passed to sys.exit().
    """
    with tempfile.TemporaryDirectory(prefix="mprun-") as td:
        tmp = Path(td)
        script = tmp / "main.py"
        script.write_text(code)
        args = ["--exec", str(script)] + _common_args(heapsize, vectors)
        args += _stage_files(tmp, extra_files)
        if steps:
            args += ["--steps", steps]
        return run_runner(args, timeout=timeout)


def implementation(timeout: float = 60) -> dict:
    """sys.implementation of the runner's MicroPython, e.g. {"name": "micropython",
    "version": [1, 27, 0], "platform": "webassembly", "build": "pyscript", "path": [...]}."""
    r = run_runner(["--info", "--vectors", "none"], timeout=timeout).check()
    return json.loads(r.stdout.strip().splitlines()[-1])


_CLOSING = re.compile(r"^(\d+) passed, (\d+) failed$")


@dataclass
class ModuleResult:
    module: str
    result: MpResult
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    closing: tuple[int, int] | None = None  # (passed, failed) from the closing line

    @property
    def ok(self) -> bool:
        return self.result.returncode == 0 and self.closing is not None and not self.closing[1]

    def failure_report(self, limit: int = 12000) -> str:
        """Everything but the PASS lines: FAIL lines, tracebacks, the summary, stderr."""
        lines = [ln for ln in self.result.stdout.splitlines() if not ln.startswith("PASS ")]
        text = "\n".join(lines)
        if self.result.stderr.strip():
            text += "\n--- stderr ---\n" + self.result.stderr
        return text if len(text) <= limit else text[:limit] + "\n... (cut)"


def run_module(
    module: str,
    extra_dirs: list[str | os.PathLike] = (),
    timeout: float = 600,
    heapsize: int | None = None,
    vectors: str | list[str] | None = "all",
    extra_args: list[str] = (),
) -> ModuleResult:
    """Run a dual-runtime test module (tests/chip/core or tests/chip/crypto test_*.py, or one in extra_dirs) under
    MicroPython through tests/mp/mptest.py, and parse its PASS/FAIL lines. extra_args go to
    the runner as they are (e.g. --file DEST=SRC)."""
    r = run_runner(
        ["--module", module] + _common_args(heapsize, vectors, extra_dirs) + list(extra_args),
        timeout=timeout,
    )
    m = ModuleResult(module, r)
    for ln in r.stdout.splitlines():
        if ln.startswith("PASS "):
            m.passed.append(ln[5:].split(" ", 1)[0])
        elif ln.startswith("FAIL "):
            m.failed.append(ln[5:].split(":", 1)[0].split(" ", 1)[0])
        else:
            c = _CLOSING.match(ln)
            if c:
                m.closing = (int(c.group(1)), int(c.group(2)))
    return m


@dataclass
class HeapStep:
    live_before: int  # reachable heap at the step's start (after a top-level collection)
    used_end: int  # gc.mem_alloc() at the step's end: live_before + what the step allocated
    heap_total: int  # size of the GC heap (all areas) at the step's end
    ms: float  # wall time of the step, including the collection after it

    @property
    def allocated(self) -> int:
        """Bytes the step allocated (gross; nothing is reclaimed during a step)."""
        return self.used_end - self.live_before


@dataclass
class HeapProfile:
    steps: list[HeapStep]
    live_end: int  # reachable heap after the workload finished and was collected
    result: MpResult

    @property
    def peak_lower(self) -> int:
        """Largest heap seen live at a checkpoint: the peak is at least this."""
        return max([s.live_before for s in self.steps] + [self.live_end])

    @property
    def peak_upper(self) -> int:
        """Largest used_end: the peak is at most this (up to runtime-internal temporaries)."""
        return max(s.used_end for s in self.steps)

    @property
    def peak_upper_strict(self) -> int:
        """Largest GC heap size: the peak is at most this, without exception (coarse)."""
        return max(s.heap_total for s in self.steps)

_STEP = re.compile(
    r"^HEAPSTEP step=(\d+) done=(\d) live_before=(-?\d+) used_end=(-?\d+) "
    r"heap_total=(-?\d+) ms=([\d.]+)$"
)
_END = re.compile(r"^HEAPEND live=(\d+)$")


def heap_profile(
    code: str,
    workload: str = "workload",
    extra_files: dict[str, bytes] | None = None,
    heapsize: int | None = 16 * 1024,
    timeout: float = 300,
    vectors: str | list[str] | None = "all",
) -> HeapProfile:
    """Bounds on the peak heap while MicroPython runs a workload (see the module doc for why
    these are the sound measures in this port).

    `code` runs first (imports, setup; its heap is part of every `live` figure) and must define
    a generator function `workload` (name configurable) taking no arguments. Each `yield` is a
    checkpoint: the runner resumes the generator with one top-level call per step, garbage is
    collected between steps, and the heap is sampled at each. Without any yield the whole
    workload is one step. The initial heap is small (16 KiB) so that heap_total follows the
    heap's growth (areas are freed again once empty after a collection). Raises MpError if the
    run fails.
    """
    r = run_script(
        code,
        extra_files=extra_files,
        heapsize=heapsize,
        timeout=timeout,
        vectors=vectors,
        steps=workload,
    ).check()
    steps, live_end = [], None
    for ln in r.stdout.splitlines():
        m = _STEP.match(ln)
        if m:
            _, _done, live, used, total, ms = m.groups()
            # The last step runs from the last yield to the generator's end (StopIteration).
            steps.append(HeapStep(int(live), int(used), int(total), float(ms)))
            continue
        m = _END.match(ln)
        if m:
            live_end = int(m.group(1))
    if not steps or live_end is None:
        raise MpError("no heap figures in the runner's output:\n" + r.stdout[-4000:])
    return HeapProfile(steps, live_end, r)
