"""`make bench`: runs every benchmark module, writes bench/results.json and prints a table.

Each module in MODULES has run() -> {figure name: {"value": number, "unit": text, ...}}.
Ratios are measured side by side within one run; absolute times vary between machines.
Existing figures from other modules stay in results.json; figures this run measured replace
them.
"""

import importlib
import json
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"
MODULES = ["bench.crypto_bench", "bench.mp_bench", "bench.update_bench", "bench.proof_bench",
           "bench.store_bench", "bench.mcu_bench", "bench.sync_bench",
           "bench.api_bench", "bench.chip_bench", "bench.chip_powercut", "bench.chip_voucher",
           "bench.chip_seqlog", "bench.chain_bench", "bench.keys_bench", "bench.ota_bench",
           "bench.sharing_bench", "bench.usage_bench",
           "bench.paid_call_bench"]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    names = argv or MODULES
    results = {}
    if RESULTS.exists():
        try:
            results = json.loads(RESULTS.read_text())
        except ValueError:
            results = {}
    failed = []
    for name in names:
        t0 = time.time()
        try:
            figures = importlib.import_module(name).run()
        except Exception as e:  # a broken benchmark must not hide the others' figures
            failed.append((name, repr(e)))
            print("%-44s FAILED: %r" % (name, e), file=sys.stderr)
            continue
        results.update(figures)
        print("# %s (%.1f s)" % (name, time.time() - t0), file=sys.stderr)
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    width = max(len(k) for k in results) if results else 10
    for k in sorted(results):
        v = results[k]
        goal = ("   goal " + v["goal"]) if v.get("goal") else ""
        print("%-*s %14s %s%s" % (width, k, _fmt(v["value"]), v["unit"], goal))
    return 1 if failed else 0


def _fmt(x):
    if isinstance(x, float):
        return "%.4g" % x
    return str(x)


if __name__ == "__main__":
    sys.exit(main())
