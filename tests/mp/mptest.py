# The in-MicroPython test driver: runs every top-level test_* function of a dual-runtime test
# module (tests/chip/core/test_*.py, tests/chip/crypto/test_*.py) and reports one line per test, then "N passed, N failed".
#
# Driven by lightclient/hwtest/mp_runner.mjs, which calls discover(), then run_one() once per test as a
# separate call from JavaScript, then finish(). Why separate calls: the WebAssembly (pyscript)
# port grows its heap instead of collecting garbage while Python runs; it collects only when
# control returns to JavaScript. One call per test keeps a module's garbage from piling up, and
# it gives exact "live heap" samples between tests (see lightclient/hwtest/micropython.py for the details).
#
# Plain MicroPython: no os.path, no re, no f-strings with format specs that MicroPython lacks.
# Also works on CPython (run_module() in one go), which is how its own unit test checks it.

import sys
import gc

try:
    import time

    _ticks_us = time.ticks_us
    _ticks_diff = time.ticks_diff
except AttributeError:  # CPython
    import time

    def _ticks_us():
        return int(time.perf_counter() * 1000000)

    def _ticks_diff(a, b):
        return a - b


IS_MICROPYTHON = sys.implementation.name == "micropython"
# In the pyscript port gc.mem_free() = free bytes of the current heap + the largest area the heap
# may still grow by (ports/webassembly/main.c: gc_get_max_new_split() = 128 MiB).
_MAX_NEW_SPLIT = 128 * 1024 * 1024

_state = {}


def _reset(modname):
    _state.clear()
    _state.update(
        module=None,
        modname=modname,
        names=[],
        passed=0,
        failed=[],
        live_max=0,
        alloc_max=0,
        alloc_max_name="",
        total_max=0,
        ran=False,
    )


def _mem_alloc():
    return gc.mem_alloc() if IS_MICROPYTHON else 0


def _heap_total(used):
    """The GC heap's size, given gc.mem_alloc() just taken (each of gc.mem_alloc() and
    gc.mem_free() walks the whole allocation table: ~40 ms once a test has grown the heap to
    128 MiB, paid again after every later test of the module, so it is not walked twice)."""
    if not IS_MICROPYTHON:
        return 0
    free = gc.mem_free()
    total = used + free - _MAX_NEW_SPLIT
    return total if total > 0 else used + free


def _source_order(mod, names):
    """Test names in the order they are defined in the module's source (as pytest runs them).

    MicroPython's module dict is a hash table, so its order is arbitrary; the source order is
    read from the file. Names not found there (e.g. assigned, not def'd) follow, sorted.
    """
    order = []
    path = getattr(mod, "__file__", None)
    if path:
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("def test_"):
                        name = line[4:].split("(", 1)[0].strip()
                        if name in names and name not in order:
                            order.append(name)
        except OSError:
            pass
    rest = sorted(n for n in names if n not in order)
    return order + rest


def discover(modname):
    """Import the test module; return its test function names as one space-separated string.

    Raises whatever the import raises (the runner reports it as a failure of the module).
    """
    _reset(modname)
    mod = __import__(modname)
    _state["module"] = mod
    names = [n for n in dir(mod) if n.startswith("test_") and callable(getattr(mod, n))]
    names = _source_order(mod, names)
    _state["names"] = names
    gc.collect()  # so the first test starts from a collected heap
    return " ".join(names)


def _fmt_bytes(n):
    if n >= 1024 * 1024:
        return "%.1f MiB" % (n / 1048576)
    if n >= 1024:
        return "%.1f KiB" % (n / 1024)
    return "%d B" % n


def run_one(name):
    """Run one test; print its PASS/FAIL line; return "1" if it passed, "0" if not.

    Heap figures: `live` is gc.mem_alloc() at the start of this call, right after the runner's
    top-level collection, so it is the heap still reachable between tests; `alloc` is what the
    test allocated (nothing is reclaimed during a call in this port, so this is the test's gross
    allocation, an upper bound on the extra heap it held at any moment).
    """
    live = _mem_alloc()
    _state["ran"] = True
    fn = getattr(_state["module"], name)
    t0 = _ticks_us()
    err = None
    try:
        fn()
    except BaseException as e:  # noqa: BLE001 - report every failure (even SystemExit), go on
        err = e
    us = _ticks_diff(_ticks_us(), t0)
    used = _mem_alloc()
    total = _heap_total(used)
    alloc = used - live
    if live > _state["live_max"]:
        _state["live_max"] = live
    if alloc > _state["alloc_max"]:
        _state["alloc_max"] = alloc
        _state["alloc_max_name"] = name
    if total > _state["total_max"]:
        _state["total_max"] = total
    stats = " (%d ms, alloc %s)" % (us // 1000, _fmt_bytes(alloc)) if IS_MICROPYTHON else ""
    if err is None:
        _state["passed"] += 1
        print("PASS " + name + stats)
        ok = "1"
    else:
        _state["failed"].append(name)
        msg = str(err)
        first = msg.split("\n", 1)[0]
        print("FAIL " + name + ": " + type(err).__name__ + ": " + first + stats)
        if hasattr(sys, "print_exception"):
            sys.print_exception(err)
        else:
            import traceback

            traceback.print_exception(type(err), err, err.__traceback__, file=sys.stdout)
        if IS_MICROPYTHON and isinstance(err, MemoryError):
            print(
                "  note: the WebAssembly port reclaims no garbage while one test runs; a test "
                "that allocates about 2 GiB in total fails here even if it would fit on a board "
                "(split it into several test functions)"
            )
        ok = "0"
    # Ask for a collection: in the pyscript port it happens when this call returns to JS.
    gc.collect()
    return ok


def discover_or_report(modname):
    """discover(), but an import failure is reported (FAIL line) and None returned."""
    try:
        return discover(modname)
    except Exception as e:  # noqa: BLE001
        report_import_error(modname, e)
        return None


def report_import_error(modname, err):
    _reset(modname)
    _state["failed"].append("<import " + modname + ">")
    print("FAIL <import " + modname + ">: " + type(err).__name__ + ": " + str(err))
    if hasattr(sys, "print_exception"):
        sys.print_exception(err)


def finish():
    """Print the heap summary and the closing line; return the number of failures as a string."""
    passed = _state.get("passed", 0)
    failed = len(_state.get("failed", []))
    if IS_MICROPYTHON and _state.get("ran"):
        print(
            "heap: live between tests max %d B; most allocated by one test %d B (%s); "
            "GC heap size max %d B"
            % (
                _state["live_max"],
                _state["alloc_max"],
                _state["alloc_max_name"] or "-",
                _state["total_max"],
            )
        )
    if failed:
        print("failed: " + " ".join(_state["failed"]))
    print("%d passed, %d failed" % (passed, failed))
    return str(failed)


def run_module(modname):
    """Run a whole module in one call (CPython, or a board without the JS runner)."""
    names = discover_or_report(modname)
    for n in (names or "").split():
        run_one(n)
    return int(finish())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: mptest.py MODULE")
        sys.exit(2)
    sys.exit(1 if run_module(sys.argv[1]) else 0)
