"""How long the chip's job would take on a real ESP32: x86-32 instructions (callgrind, the chip's
interpreter) -> ESP32 seconds, through a factor derived from a published MicroPython benchmark.

The published side: MicroPython commit 549448e8 ("esp32: Enable optimisations and move code to
iRAM to boost performance", v1.17, 2021-09-24) gives tests/perf_bench scores at N=100 M=100 on a
TinyPICO, GENERIC build, IDF 4.2.2, at 160 MHz (the "esp32-perf" column, below). A perf_bench
score is 1e6 * norm / run_microseconds, so the ESP32 ran each benchmark's run() in norm / score
seconds, i.e. 160e6 * norm / score cycles.

Our side: the same benchmark files (tests/perf_bench of MicroPython 1.27.0; their N=100 M=100
workloads are unchanged since that commit) run on the chip's interpreter under callgrind, with
the benchmark's own setup subtracted (a script with run() against one without). Instructions
per ESP32 cycle = instructions / cycles, per benchmark; the median over the benchmarks is the
factor, their spread the band. Left out: the viper_* benchmarks (native code, not the bytecode
VM our firmware runs) and bm_fft (its time is the complex-float library: double precision on the
x86 FPU here, single-precision floats and software cmath on the ESP32 build; it comes out at 4.1
instructions per cycle, ten times the others). The ten left give 0.47 (0.36-0.75) here.

Clock: the commit says bm_fft, bm_pidigits and misc_aes scale with the CPU clock (160 -> 240 MHz
gives +50 %) and the others less, since they wait on external flash through the cache. The
estimate divides by 240 MHz (full scaling) and states the no-gain case (160 MHz) too.

C crypto is not interpreter code: x86-32 multiplies 32x32->64 in one instruction, Xtensa LX6 in
two (MULL + MULUH) with carries by hand, so its instructions are counted twice and run at one per
cycle (tight loops held in the cache).
"""

import os
import re
import statistics
import subprocess
import tarfile
import tempfile
from pathlib import Path

# Commit 549448e8, "esp32-perf" column: N=100 M=100 scores on ESP32 at 160 MHz.
PUBLISHED_MHZ = 160
PUBLISHED = {
    "bm_chaos.py": 268.08, "bm_fannkuch.py": 69.31, "bm_float.py": 3900.62,
    "bm_hexiom.py": 32.79, "bm_nqueens.py": 2372.87, "bm_pidigits.py": 664.40,
    "misc_aes.py": 345.69, "misc_mandel.py": 2121.92, "misc_pystone.py": 1801.87,
    "misc_raytrace.py": 281.78,
}
CLOCK_MHZ = 240
NO_GAIN_MHZ = 160
CRYPTO_XTENSA_PER_X86 = 2.0
HEAP = "110K"   # what MicroPython gets on an ESP32 without PSRAM

REPO = Path(__file__).resolve().parent.parent
TARBALL = REPO.parent / "shared" / "micropython" / "micropython-1.27.0-unix-esp32.tar.gz"



def _footer(do_run):
    # bm_run's parameter choice (tests/perf_bench/benchrun.py), without its timing.
    return r"""
N, M = 100, 100
cur, param = (0, 0), None
for nm, p in bm_params.items():
    if 10 * nm[0] <= 12 * N and nm[1] <= M and nm > cur:
        cur, param = nm, p
run, result = bm_setup(param)
""" + (r"""
run()
norm, out = result()
print("NORM", norm)
""" if do_run else "print('NORM', 0)\n")


def perf_bench_dir(work):
    src = os.environ.get("MICROPYTHON_SRC")
    if src and (Path(src) / "tests" / "perf_bench").is_dir():
        return Path(src) / "tests" / "perf_bench"
    for p in (REPO / "build" / "chip" / "src").glob("*/tests/perf_bench"):  # make chip's source
        return p
    if not TARBALL.exists():
        raise FileNotFoundError("MicroPython 1.27.0's tests/perf_bench: set MICROPYTHON_SRC to "
                                "a v1.27.0 checkout or put the source tarball at %s" % TARBALL)
    with tarfile.open(TARBALL) as t:
        members = [m for m in t.getmembers() if "/tests/perf_bench/" in m.name]
        t.extractall(work, members=members)
    return next(Path(work).glob("*/tests/perf_bench"))


def _instructions(interp, script, work):
    path = Path(work) / "bench_script.py"
    path.write_text(script)
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                        str(interp), "-X", "heapsize=" + HEAP, str(path)],
                       capture_output=True, text=True, timeout=1800, cwd=work)
    m = re.search(r"Collected : (\d+)", p.stderr)
    norm = re.search(r"NORM (\d+)", p.stdout)
    if p.returncode != 0 or m is None or norm is None:
        raise RuntimeError("perf_bench run failed: %s %s" % (p.stdout[-500:], p.stderr[-800:]))
    return int(m.group(1)), int(norm.group(1))


def measure_factor(interp):
    """{benchmark: instructions per ESP32 cycle} on this interpreter."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="perfbench-") as work:
        bench = perf_bench_dir(work)
        for name, score in sorted(PUBLISHED.items()):
            text = (bench / name).read_text()
            full, norm = _instructions(interp, text + _footer(True), work)
            base, _ = _instructions(interp, text + _footer(False), work)
            cycles = PUBLISHED_MHZ * 1e6 * norm / score
            out[name] = (full - base) / cycles
    return out


def factor_stats(factors):
    v = sorted(factors.values())
    return {"median": statistics.median(v), "low": v[0], "high": v[-1], "n": len(v)}


def factors(interp=None):
    if interp is None:
        from bench.chip_bench import interpreter
        interp = interpreter()
    return measure_factor(interp)


def estimate(instructions, crypto_instructions=0, per_benchmark=None):
    """Seconds on an ESP32 at 240 MHz: {"median_s", "low_s", "high_s", "no_gain_s", "how"}."""
    fs = factor_stats(per_benchmark or factors())
    interp = instructions - crypto_instructions
    crypto_s = crypto_instructions * CRYPTO_XTENSA_PER_X86 / (CLOCK_MHZ * 1e6)

    def at(f, mhz):
        return interp / f / (mhz * 1e6) + crypto_s
    return {
        "median_s": round(at(fs["median"], CLOCK_MHZ), 3),
        "low_s": at(fs["high"], CLOCK_MHZ), "high_s": at(fs["low"], CLOCK_MHZ),
        "no_gain_s": at(fs["median"], NO_GAIN_MHZ), "crypto_s": crypto_s,
        "factor": fs,
        "how": "x86-32 instructions per ESP32 cycle %.2f (median of %d perf_bench programs, "
               "%.2f-%.2f; MicroPython commit 549448e8 scores at 160 MHz), 240 MHz; without any "
               "gain from 160 to 240 MHz (flash cache) %.2f s; C crypto %.2f s at 2 Xtensa "
               "instructions per x86 one" % (fs["median"], fs["n"], fs["low"], fs["high"],
                                              at(fs["median"], NO_GAIN_MHZ), crypto_s)}


if __name__ == "__main__":
    f = factors()
    for k in sorted(f):
        print("%-20s %.3f" % (k, f[k]))
    print(factor_stats(f))
