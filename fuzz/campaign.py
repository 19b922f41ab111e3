"""Every fuzz target, one process each, JOBS at a time (make fuzz):

    python -m fuzz.campaign [--runs 1000000] [--jobs 2] [--targets a,b] [--max-seconds S]
                            [--collect a,b] [--no-results]

Prints a line per target (inputs, seconds, inputs/s, crashes) and, unless --no-results, merges
`fuzz.<target>.inputs`, `fuzz.<target>.seconds` and `fuzz.crashes` into bench/results.json
(other figures kept). Exit 1 if any target crashed; the inputs that
crashed are in WORKDIR/<target>/ (crash-*, timeout-*, oom-*): replay one with
`python -m fuzz.run TARGET --replay FILE`.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

from fuzz.run import ROOT
from fuzz.targets import TARGETS

RESULTS = os.path.join(ROOT, "bench", "results.json")
_DONE = re.compile(rb"Done (\d+) runs in (\d+) second")
_EXECS = re.compile(rb"^#(\d+)\s", re.M)


def _artifacts(work, name):
    return sorted(p for pat in ("crash-*", "timeout-*", "oom-*", "leak-*", "slow-unit-*")
                  for p in glob.glob(os.path.join(work, name, pat)))


def _start(name, args):
    work = os.path.join(args.workdir, name)
    for p in _artifacts(args.workdir, name):
        os.remove(p)  # a campaign reports its own crashes
    os.makedirs(work, exist_ok=True)
    log = open(os.path.join(work, "log.txt"), "wb")
    cmd = [sys.executable, "-m", "fuzz.run", name, "--runs", str(args.runs),
           "--workdir", args.workdir, "--seed", str(args.seed)]
    if args.max_seconds:
        cmd += ["--max-seconds", str(args.max_seconds)]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    return p, log, time.monotonic()


def _finish(name, p, log, t0, args):
    log.close()
    seconds = time.monotonic() - t0
    with open(os.path.join(args.workdir, name, "log.txt"), "rb") as f:
        out = f.read()
    m = _DONE.search(out)
    if m:
        inputs = int(m.group(1))
    else:  # stopped early (a crash): the last status line's count
        counts = _EXECS.findall(out)
        inputs = int(counts[-1]) if counts else 0
    crashes = _artifacts(args.workdir, name)
    if p.returncode != 0 and not crashes:
        crashes = ["exit status %d (see %s)" % (p.returncode, os.path.join(args.workdir, name,
                                                                            "log.txt"))]
    return {"inputs": inputs, "seconds": round(seconds, 1), "crashes": crashes,
            "complete": bool(m) and p.returncode == 0 and inputs >= args.runs}


class _Finished:
    returncode = 0  # a log collected as it is: its own "Done" line says whether it finished


def run(args):
    names = [n for n in TARGETS if not args.targets or n in args.targets.split(",")]
    collect = [n for n in args.collect.split(",") if n] if args.collect else []
    out = {}
    for n in collect:  # a run of an earlier campaign in the same WORKDIR, taken as it is
        out[n] = _finish(n, _Finished(), _NoLog(), time.monotonic(), args)
        out[n]["seconds"] = _logged_seconds(args.workdir, n)
        names = [x for x in names if x != n]
    pending = list(names)
    running = {}
    while pending or running:
        while pending and len(running) < args.jobs:
            n = pending.pop(0)
            running[n] = _start(n, args)
        time.sleep(0.2)
        for n in list(running):
            p = running[n][0]
            if p.poll() is not None:
                out[n] = _finish(n, *running.pop(n), args)
                r = out[n]
                print("%-12s %9d inputs %8.1f s %7.0f/s  crashes: %d%s" % (
                    n, r["inputs"], r["seconds"], r["inputs"] / max(r["seconds"], 0.1),
                    len(r["crashes"]), "" if r["complete"] else
                    "  (stopped by its first crash)" if r["crashes"] else "  (time limit)"),
                    flush=True)
                for c in r["crashes"]:
                    print("    " + c, flush=True)
    return out


class _NoLog:
    def close(self):
        pass


def _logged_seconds(workdir, name):
    with open(os.path.join(workdir, name, "log.txt"), "rb") as f:
        m = _DONE.search(f.read())
    return float(m.group(2)) if m else 0.0


def merge_results(out, runs):
    try:
        with open(RESULTS) as f:
            results = json.load(f)
    except (OSError, ValueError):
        results = {}
    for n, r in out.items():
        results["fuzz.%s.inputs" % n] = {"value": r["inputs"], "unit": "inputs",
                                         "goal": ">= %d" % runs,
                                         "note": "atheris (libFuzzer), coverage-guided"}
        results["fuzz.%s.seconds" % n] = {"value": r["seconds"], "unit": "s",
                                          "complete": r["complete"]}
        results["fuzz.%s.crashes" % n] = {"value": len(r["crashes"]), "unit": "crashes"}
    # The total over every target with figures, this run's and earlier runs' (--targets).
    targets = sorted(k[len("fuzz."):-len(".inputs")] for k in results
                     if k.startswith("fuzz.") and k.endswith(".inputs"))
    total = sum(results.get("fuzz.%s.crashes" % t, {}).get("value", 0) for t in targets)
    results["fuzz.crashes"] = {"value": total, "unit": "crashes",
                               "note": "targets: " + ", ".join(targets)}
    tmp = RESULTS + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, RESULTS)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m fuzz.campaign", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--targets", default="")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seconds", type=int, default=0,
                    help="stop each target after this long even if its runs are not done "
                         "(reported as incomplete)")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "fuzz"))
    ap.add_argument("--collect", default="", metavar="A,B",
                    help="report these targets from their logs in WORKDIR instead of running them")
    ap.add_argument("--no-results", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    out = run(args)
    crashes = sum(len(r["crashes"]) for r in out.values())
    print("fuzz: %d targets, %d inputs, %d crashes, %.0f s" % (
        len(out), sum(r["inputs"] for r in out.values()), crashes, time.monotonic() - t0))
    if not args.no_results:
        merge_results(out, args.runs)
        print("fuzz.crashes = %d; figures merged into %s" % (crashes, RESULTS))
    short = [n for n, r in out.items() if not r["complete"] and not r["crashes"]]
    if short:
        print("not all runs done (time limit): " + ", ".join(short))
    return 0 if crashes == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
