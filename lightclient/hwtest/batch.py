"""A tray of boards: provision and self-test every port at once (one thread per board; the
network's calls serialised unless it is thread-safe), then a summary table and one JSON
report. A board that fails does not stop the others."""

import threading
import time

from lightclient.hwtest import provision as prov
from lightclient.hwtest import selftest as st
from lightclient.hwtest.errors import HwTestError


class _Serialised:
    """The network, one call at a time (the boards' UART work runs in parallel)."""

    def __init__(self, network):
        self._net = network
        self._lock = threading.Lock()
        self.name = network.name
        self.chain_id = network.chain_id

    def __getattr__(self, name):
        attr = getattr(self._net, name)
        if not callable(attr):
            return attr

        def call(*a, **kw):
            with self._lock:
                return attr(*a, **kw)
        return call


def run_board(port, network, owner_seed, board_name, firmware_hash, do_provision=True,
              force=False, baudrate=115200, timeout=2.0, board_id=None, log=None):
    out = {"port": port, "provision": None, "selftest": None, "error": None}
    t0 = time.monotonic()
    expected = None
    if do_provision:
        try:
            rec = prov.provision(port, network, owner_seed, board_name, firmware_hash,
                                 board_id=board_id, force=force, baudrate=baudrate,
                                 timeout=timeout, log=log)
            out["provision"] = rec
            expected = bytes.fromhex(rec["public_key"])
        except HwTestError as e:
            out["error"] = e.to_dict()
    if out["error"] is None:
        out["selftest"] = st.selftest(port, network, expected, baudrate, timeout, log=log)
    out["passed"] = out["error"] is None and out["selftest"]["passed"]
    out["seconds"] = round(time.monotonic() - t0, 2)
    return out


def run_batch(ports, network, owner_seed, board_name, firmware_hash, log=None, **options):
    """-> report {"boards": [...], "passed": n, "failed": n, "seconds"}; threads per port."""
    if len(set(ports)) != len(ports):
        raise HwTestError("batch_ports", "a port is listed twice")
    t0 = time.monotonic()
    net = network if getattr(network, "thread_safe", False) else _Serialised(network)
    results = [None] * len(ports)

    def work(i, port):
        try:
            results[i] = run_board(port, net, owner_seed, board_name, firmware_hash, log=log,
                                   **options)
        except Exception as e:   # never let one board take the batch down; say what it was
            results[i] = {"port": port, "passed": False, "provision": None, "selftest": None,
                          "error": {"check": "internal", "message": repr(e)}, "seconds": None}

    threads = [threading.Thread(target=work, args=(i, p), daemon=True)
               for i, p in enumerate(ports)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sum(1 for r in results if r["passed"])
    return {"boards": results, "passed": ok, "failed": len(results) - ok,
            "seconds": round(time.monotonic() - t0, 2)}


def summary_table(report):
    """The batch as a fixed-width table, one line per board."""
    rows = [("port", "board id", "public key", "provision", "self-test", "result", "s")]
    for r in report["boards"]:
        rec = r.get("provision") or {}
        stt = r.get("selftest")
        if stt:
            fails = [c["check"] for c in stt["checks"] if c["status"] != st.PASS]
            self_col = "all %d pass" % len(stt["checks"]) if not fails else \
                "FAIL: " + ",".join(fails)
        else:
            self_col = "-"
        if r.get("error"):
            prov_col = "FAIL: " + r["error"].get("check", "?")
        elif rec:
            prov_col = "ok h=%s" % rec["checkpoint"]["height"]
        else:
            prov_col = "skipped"
        rows.append((r["port"], rec.get("board_id", "-"),
                     (rec.get("public_key") or "-")[:16], prov_col, self_col,
                     "PASS" if r["passed"] else "FAIL",
                     "-" if r.get("seconds") is None else "%.1f" % r["seconds"]))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    total = report["passed"] + report["failed"]
    lines.append("%d of %d boards passed" % (report["passed"], total))
    return "\n".join(lines)
