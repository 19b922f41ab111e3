"""One fuzz target under atheris (libFuzzer for Python, coverage-guided):

    python -m fuzz.run TARGET [--runs N] [--workdir build/fuzz]     # fuzz; exit 0: no crash
    python -m fuzz.run TARGET --replay FILE...                         # re-run saved inputs

A crash is any exception that is not the project's typed error (LightClientError), a broken
contract (targets.Crash), an input that runs longer than --timeout seconds (libFuzzer -timeout),
a process over --rss-mb (libFuzzer -rss_limit_mb), or an input whose Python allocations peak
over ALLOC_BOUND (tracemalloc, on one input in SAMPLE; --replay traces every input). libFuzzer
writes the input that crashed to WORKDIR/TARGET/crash-* (timeout-*, oom-*) and ends with its
"Done N runs in S second(s)" line and final stats, which fuzz/campaign.py reads.
"""

import argparse
import json
import os
import sys
import time
import tracemalloc

ALLOC_BOUND = 8 * 1024 * 1024   # bytes of Python allocations at peak for one input
SAMPLE = 64

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _import_targets(instrument):
    if not instrument:
        from fuzz import targets
        return targets
    import atheris
    # Coverage for every module a target reaches: the core, the Pi's decoders, the chip's app.
    with atheris.instrument_imports(include=["lightclient", "fuzz.targets"]):
        from fuzz import targets
        import lightclient.chip.app.firmware  # noqa: F401
        import lightclient.mcu  # noqa: F401
        import lightclient.rpc  # noqa: F401
        import lightclient.chip.store.store  # noqa: F401
        import lightclient.chip.smp.frame  # noqa: F401
    return targets


class AllocationBound(Exception):
    pass


def make_one(fn, allowed):
    count = [0]

    def one(data):
        count[0] += 1
        traced = count[0] % SAMPLE == 0
        if traced:
            tracemalloc.start()
        try:
            fn(data)
        except allowed:
            pass
        finally:
            if traced:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        if traced and peak > ALLOC_BOUND:
            raise AllocationBound("input of %d bytes allocated %d bytes at peak (bound %d)"
                                  % (len(data), peak, ALLOC_BOUND))
    return one


def replay(fn, allowed, paths):
    """Run saved inputs without atheris, each with tracemalloc: 0 if none crashes."""
    bad = 0
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        tracemalloc.start()
        try:
            fn(data)
            what = None
        except allowed:
            what = None
        except Exception as e:  # noqa: BLE001 - reporting any crash is the point
            what = "%s: %s" % (type(e).__name__, str(e)[:200])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if what is None and peak > ALLOC_BOUND:
            what = "allocation peak %d > %d" % (peak, ALLOC_BOUND)
        print("%s %s" % (p, what or "ok (peak %d bytes)" % peak))
        bad += what is not None
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n")[0])
    ap.add_argument("target")
    ap.add_argument("--runs", type=int, default=10000)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "fuzz"))
    ap.add_argument("--timeout", type=int, default=10, help="seconds per input")
    ap.add_argument("--rss-mb", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seconds", type=int, default=0, help="libFuzzer -max_total_time")
    ap.add_argument("--replay", nargs="+", metavar="FILE")
    args = ap.parse_args(argv)

    targets = _import_targets(instrument=not args.replay)
    fn = targets.TARGETS.get(args.target)
    if fn is None:
        ap.error("unknown target %r; one of: %s" % (args.target, ", ".join(targets.TARGETS)))
    from lightclient.chip.core.errors import LightClientError
    allowed = (LightClientError,)
    if args.replay:
        return replay(fn, allowed, args.replay)

    import atheris
    from fuzz import seeds
    work = os.path.join(args.workdir, args.target)
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus, exist_ok=True)
    for i, s in enumerate(seeds.SEEDS[args.target]()):
        with open(os.path.join(corpus, "seed-%03d" % i), "wb") as f:
            f.write(s)
    # Seeds are built before the clock starts (they run the chip's firmware once).
    one = make_one(fn, allowed)
    lf_args = [sys.argv[0], corpus, "-runs=%d" % args.runs,
               "-max_len=%d" % targets.MAX_LEN[args.target], "-timeout=%d" % args.timeout,
               "-rss_limit_mb=%d" % args.rss_mb, "-seed=%d" % args.seed,
               "-artifact_prefix=" + work + os.sep, "-print_final_stats=1"]
    if args.max_seconds:
        lf_args.append("-max_total_time=%d" % args.max_seconds)
    print(json.dumps({"target": args.target, "start": time.time(), "args": lf_args[1:]}),
          flush=True)
    atheris.Setup(lf_args, one)
    atheris.Fuzz()  # libFuzzer exits the process when the runs are done (0) or on a crash


if __name__ == "__main__":
    sys.exit(main())
